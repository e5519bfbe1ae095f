# 核验台页面（netid-verifier /desk）：柜台工作人员看到的文字。
# 拒绝原因（refusal-*）、信息项名称（claim-*）和用途（purpose-*）在 netid.ftl 中，与 netid 命令共用。

desk-title = netid 核验台
desk-counter = 柜台
desk-purpose-label = 核验用途
# 切换按钮用另一种语言写出该语言的名称。
desk-lang-switch = English
desk-sign-out = 退出登录

desk-scan-label = 扫描住客的核验码
desk-scan-hint = 扫码枪会自动输入核验码并回车。也可以使用摄像头。
desk-camera-start = 使用摄像头
desk-camera-stop = 关闭摄像头
desk-camera-looking = 请将住客的手机对准摄像头。
desk-camera-unavailable = 无法打开摄像头。请允许本页面使用摄像头，或改用扫码枪。
desk-camera-decoder-failed = 无法识别摄像头画面。请改用扫码枪，或刷新页面。

desk-interactive-start = 先让手机扫码（签名请求）
desk-challenge-title = 请住客用手机扫描此码
desk-challenge-qr =
    .alt = 本柜台的请求码，供住客的钱包应用扫描
desk-challenge-waiting = 正在等待住客回应：请扫描手机随后出示的核验码。本请求 { $seconds } 秒后失效。
desk-challenge-expired = 请求在扫描到回应前已失效。请再次点击“先让手机扫码”。
desk-challenge-cancel = 取消

desk-accepted = 核验通过
desk-refused = 核验未通过
desk-result-clears-in = 本页面将在 { $seconds } 秒后清除。
desk-result-clear = 立即清除（Esc）
desk-value-female = 女
desk-value-male = 男
desk-value-yes = 是
desk-value-no = 否

desk-error-network = 无法连接核验服务。请检查网络后重新扫描。
desk-error-service = 核验服务暂时无法应答。请重新扫描；如持续失败，请联系管理员。
desk-error-rate-limited = 扫描过于频繁。请稍候再扫描。
desk-error-not-registered = 本柜台未登记，不能先让手机扫码。请直接扫描住客的核验码。

desk-sign-in-title = 核验台登录
desk-sign-in-help = 请输入本柜台的令牌（由服务管理员提供）。本核验台在本班次内保持登录。
desk-sign-in-token = 柜台令牌
desk-sign-in-submit = 登录
desk-sign-in-refused = 该令牌不是本服务的柜台令牌。请向管理员核实。
