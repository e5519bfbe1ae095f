# netid 消息目录，简体中文。这里的每个 id 都必须在 ../en/netid.ftl 中存在，且变量相同
# （cargo test -p netid-i18n 会检查）。命名约定见 docs/i18n.md。
# 消息中不得含个人信息：变量只能是数量、类型、编号和柜台名称。

## 拒绝原因：柜台拒绝核验码的原因，写成前台人员可以照做的一句话。

refusal-malformed = 无法识别此核验码：请住客重新出示。
refusal-unknown-issuer = 此证件并非由受信任的机关签发：请勿接受。
refusal-bad-issuer-signature = 证件系伪造或被篡改（签发机关签名无效）：请勿接受。
refusal-bad-holder-signature = 此核验码并非证件本人生成：请勿接受。
refusal-disclosure-mismatch = 出示的信息与证件不符：请勿接受。
refusal-expired = 核验码已过期：请住客刷新后重新出示。
refusal-not-yet-valid = 此证件或核验码尚未生效：请检查手机和柜台设备的时间。
refusal-issued-in-future = 此核验码的生成时间晚于当前时间：请住客检查手机时间并刷新核验码。
refusal-replayed = 核验码已使用：此码此前已被扫描过。请住客出示新的核验码。
refusal-replay-cache-full = 最近几分钟扫描的核验码过多：请稍候再扫。
refusal-wrong-audience = 此核验码是为其他柜台或业务生成的：请住客出示本柜台业务的核验码。
refusal-nonce-mismatch = 此核验码与本柜台的核验请求不对应：请住客重新扫描柜台的二维码。
refusal-policy-unmet = 此核验码未出示本业务所需的信息：请住客出示本业务专用的核验码。
refusal-credential-expired = 此证件已过有效期：请证件持有人办理换证。
refusal-revoked = 此证件已被签发机关注销：请勿接受。
refusal-suspended = 此证件已被签发机关暂停使用：请勿接受。
refusal-status-unavailable = 暂时无法查询证件的注销状态：请更新状态列表后重新扫描。
refusal-status-stale = 注销状态列表已过期：请更新后重新扫描。
refusal-request-required = 本业务须使用为本柜台生成的核验码：请出示柜台的核验请求码，再扫描住客的应答码。
refusal-request-expired = 柜台的核验请求已过期：请出示新的核验请求码。
refusal-replay-cache-reset = 核验服务刚重启，无法判断此码是否已使用：请住客出示新的核验码。
refusal-replay-cache-unavailable = 核验服务暂时无法检查核验码是否被重复使用：请稍候再扫；如持续出现，请联系主管。
refusal-challenge-unknown = 核验服务不认识本柜台的这次请求（已过期或未曾发出）：请出示新的核验请求码。
refusal-invalid-configuration = 本柜台的配置无效（信任列表、状态列表或选项）：请联系主管。

## 证件信息项名称。

claim-name = 姓名
claim-sex = 性别
claim-ethnicity = 民族
claim-birth_date = 出生日期
claim-address = 住址
claim-id_number = 公民身份号码
claim-issuing_authority = 签发机关
claim-age_over_18 = 年满18周岁
claim-age_over_60 = 年满60周岁
claim-nationality = 国籍
claim-vehicle_class = 准驾车型
claim-first_issue_date = 初次领证日期
claim-card_number = 社会保障卡号

## 业务用途。

purpose-hotel = 酒店入住
purpose-cafe = 网吧上网
purpose-ticket = 铁路购票
purpose-gov = 政务服务

## 证件类型与等级。

doctype-resident-id = 居民身份证
doctype-driving-licence = 机动车驾驶证
doctype-social-security-card = 社会保障卡
doctype-residence-permit = 居住证
grade-basic = 基础级（黑白）
grade-enhanced = 增强级（彩色）

## 未满足业务要求的具体原因。

policy-doc-type = 本柜台不接受此类证件
policy-assurance-too-low = 此证件为基础级（黑白），本业务须使用增强级（彩色）
policy-missing-claim = 核验码未出示“{ $claim }”
policy-condition-false = 不满足“{ $claim }”的要求
policy-other-purpose = 此核验码是为“{ $purpose }”生成的

## 居民看到的钱包错误，每条都说明下一步怎么做。

wallet-error-locked = 钱包已锁定：请解锁后继续。
wallet-error-pin-required = 此钱包设有 PIN 码：请输入 PIN 码。
wallet-error-wrong-pin = PIN 码错误：请重试。
wallet-error-locked-out = 失败次数过多：请等待锁定结束后再试。
wallet-error-locked-for-good = 失败次数过多，此钱包已永久锁定：请删除钱包并重新添加证件。
wallet-error-cancelled = 已取消确认：准备好后请重试。
wallet-error-not-recognised = 未能识别指纹或面容：请重试。
wallet-error-biometrics-not-enrolled = 手机未设置指纹、面容或锁屏密码：请在系统设置中设置。
wallet-error-system-locked-out = 手机已锁定生物识别：请用锁屏密码解锁手机后重试。
wallet-error-holder-key-invalidated = 此证件的密钥已无法使用（例如指纹或面容信息已变更）：请重新添加证件；其他证件不受影响。
wallet-error-authenticator-invalidated = 指纹或面容信息已变更，钱包的生物识别解锁已失效：请重新设置，然后重新添加证件。
wallet-error-host-misbehaved = 手机上出现异常，未出示任何信息：请更新应用或联系客服。
wallet-error-host-unavailable = 手机的安全存储暂时不可用：请稍后重试。
wallet-error-key-unavailable = 在这部手机上找不到钱包的密钥：请从备份恢复，或重新创建钱包。
wallet-error-store-damaged = 钱包数据已损坏或在应用之外被改动，未覆盖任何数据：请从备份恢复，或重新开始。
wallet-error-storage-failed = 钱包无法读写数据：请检查剩余存储空间后重试。
wallet-error-no-such-document = 钱包中没有此证件：请刷新列表。
wallet-error-credential-refused = 签发的证件无法接受：请重新申领，或联系签发机关。
wallet-error-pool-empty = 此业务的一次性核验码已用完：请联网补充。
wallet-error-request-refused = 已拒绝此柜台的核验请求，未出示任何信息：请柜台重新出示核验请求码，或不要向其出示证件。
wallet-error-request-required = 此核验码会出示您的全部证件信息，只能向已登记的柜台出示：请扫描柜台的核验请求码。
wallet-error-busy = 钱包正在进行另一项操作：请等待其完成。
wallet-error-invalid-input = 无法按此要求操作：请检查后重试。
wallet-error-internal = 出现意外错误：请报告此问题。
wallet-error-wrong-passphrase = 口令无法打开此钱包：请检查后重试。
wallet-error-key-store-entry-missing = 密钥库中没有此钱包的密钥：请恢复密钥库，或新建钱包。
wallet-error-store-corrupted = 无法读取钱包，未做任何改动：请从备份恢复，或新建钱包。
wallet-error-store-rolled-back = 钱包被替换成了较旧的副本：请恢复最新的副本，或删除钱包后重新添加证件。
wallet-error-no-pin = 此钱包未设置 PIN 码：请先设置。
wallet-error-pin-already-set = 此钱包已设置 PIN 码：请改用修改 PIN 码。
wallet-error-invalid-pin = PIN 码须为 6 至 64 位数字：请重新选择。
wallet-error-pin-mismatch = 两次输入的 PIN 码不一致：请输入相同的 PIN 码两次。
wallet-error-nothing-enrolled = 钱包中还没有证件：请先添加。
wallet-error-refill-refused = 签发机关发来的一次性核验码未被接受，未保存任何内容：请稍后重新补充。
wallet-error-no-one-time-codes = 此业务的一次性核验码已用完：请联网补充。
wallet-error-no-wallet = 此处没有钱包：请先创建。

## 下一步操作。

next-step-try-again = 重试
next-step-wait-then-try-again = 请等待 { $seconds } 秒后重试
next-step-enrol-biometrics-in-system-settings = 在“设置”中设置指纹、面容或锁屏密码
next-step-unlock-device-with-passcode = 用锁屏密码解锁手机
next-step-re-enrol-document = 重新添加证件
next-step-set-up-authenticator-again = 重新设置生物识别解锁
next-step-set-up-pin = 设置钱包 PIN 码
next-step-change-pin = 修改 PIN 码
next-step-choose-valid-pin = 选择 6 至 64 位数字的 PIN 码
next-step-try-again-later = 稍后重试
next-step-report-problem = 报告问题
next-step-unlock-wallet = 解锁钱包
next-step-enter-pin = 输入 PIN 码
next-step-enrol-document = 添加证件
next-step-contact-issuer = 重新申领或联系签发机关
next-step-restore-or-reset = 从备份恢复或重新开始
next-step-check-storage = 检查存储空间后重试
next-step-change-request = 修改请求
next-step-wait-for-other-operation = 等待另一项操作完成
next-step-refill = 联网补充一次性核验码
next-step-scan-counter-request = 扫描柜台的核验请求码
next-step-do-not-show = 不要向此柜台出示证件

## 钱包拒绝柜台核验请求的原因。

request-refusal-malformed = 无法识别柜台的核验请求：请重新扫描柜台的二维码。
request-refusal-unknown-registrar = 此柜台未经登记：请勿向其出示证件。
request-refusal-bad-certificate-signature = 此柜台的登记证书系伪造：请勿向其出示证件。
request-refusal-certificate-not-valid = 此柜台的登记当前无效：请检查手机时间；如时间无误，请勿出示证件。
request-refusal-bad-request-signature = 此请求并非由已登记的柜台签名：请勿向其出示证件。
request-refusal-expired = 柜台的核验请求已过期：请柜台重新出示。
request-refusal-purpose-not-certified = 此柜台请求的业务超出其登记范围：请勿向其出示证件。
request-refusal-claim-not-certified = 此柜台请求的信息超出其登记范围：请勿向其出示证件。
request-refusal-replayed = 您已应答过此请求：请柜台重新出示。

## 生物识别确认提示。

prompt-view-details-title = 查看证件
prompt-view-details-description = 请确认是您本人，以查看此证件的详细信息。
prompt-show-qr-title = 出示证件核验码
prompt-show-qr-description = 请确认是您本人，以生成给柜台扫描的核验码。
prompt-delete-document-title = 删除证件
prompt-delete-document-description = 请确认是您本人，以从钱包中删除此证件。
prompt-export-log-title = 导出使用记录
prompt-export-log-description = 请确认是您本人，以导出钱包的使用记录。
prompt-enrolment-title = 添加到钱包
prompt-enrolment-description = 请确认是您本人，以将此证件或其新的一次性核验码添加到钱包。
prompt-cancel = 取消

## 向已登记柜台出示前的同意说明。

consent-asks = { $name_zh } / { $name_en }（{ $counter_id }），由 { $registrar } 登记，因{ $purpose }需要：{ $claims }。
consent-asks-full-card = { $name_zh } / { $name_en }（{ $counter_id }），由 { $registrar } 登记，因{ $purpose }需要您的全部证件信息：{ $claims }。
consent-keeps = 对方最多可保存 { $days } 天。
consent-confirm = 确认后将出示您的核验码。
consent-list-separator = 、

## netid 命令行。

cli-error-line = 错误：{ $message }
cli-next-line = 下一步：{ $next }
cli-refusal-detail = { $refusal }（{ $detail }）
cli-verify-accepted = 核验通过（{ $purpose }）：{ $doctype }（{ $grade }），签发方 { $issuer }
cli-verify-derived = （由公民身份号码得出）
cli-verify-answering = 应答 { $counter_id } 的核验请求
cli-verify-request-shown = { $counter_id } 的{ $purpose }核验请求：请住客扫描，然后在此扫描其应答码（{ $seconds } 秒内有效）。
cli-attempts-left = 还可尝试 { $count } 次
cli-verify-yes = 是
cli-verify-no = 否
cli-sex-male = 男
cli-sex-female = 女
cli-next-malformed = 请住客重新出示核验码
cli-next-unknown-issuer = 请勿接受；如应信任此签发方，请将其加入信任列表（--trust）
cli-next-do-not-accept = 请勿接受
cli-next-expired = 请住客刷新核验码后重新扫描
cli-next-not-yet-valid = 请检查手机和柜台设备的时间
cli-next-issued-in-future = 请住客检查手机时间并刷新核验码
cli-next-replayed = 请住客刷新核验码：每个核验码只能使用一次
cli-next-replay-cache-full = 请等一分钟再扫
cli-next-wrong-audience = 请住客出示本业务的核验码（--purpose）
cli-next-nonce-mismatch = 请住客重新扫描本柜台的二维码
cli-next-policy-unmet = 请住客出示本业务的核验码，或使用本业务要求的证件
cli-next-credential-expired = 证件持有人须办理换证
cli-next-status-unavailable = 请更新签发方的状态列表（`netid issuer status-list`）后重新扫描
cli-next-status-stale = 请发布新的状态列表（`netid issuer status-list`）后重新扫描
cli-next-request-required = 请使用 `netid verify --interactive`：先出示柜台的核验请求码，再扫描应答码
cli-next-request-expired = 请出示新的核验请求码，再扫描住客的应答码
cli-next-scan-request-again = 请重新扫描柜台的核验请求码
cli-next-new-request = 请柜台重新出示核验请求码
cli-next-do-not-show = 请勿向此柜台出示证件，并向登记机构举报
cli-next-check-clock = 请检查本机时间；如时间无误，则此柜台须更新登记
cli-next-confirm-again = 请重新运行命令并确认（脚本中设置 NETID_AUTH=allow）
cli-next-wait-seconds = 请等待 { $seconds } 秒后重试
cli-next-re-enrol = 请重新添加证件
cli-next-reset-wallet = 请清除钱包（`netid wallet wipe --yes`）后重新添加证件
cli-next-choose-pin = 请选择 6 至 64 位数字的 PIN 码
cli-next-set-pin = 请先用 `netid wallet pin set` 设置 PIN 码
cli-next-change-pin = 请用 `netid wallet pin change` 修改
cli-next-try-later = 请稍后重试
cli-next-not-recognised = 请重试；连续失败 5 次后钱包将锁定 5 分钟
cli-next-pin-required = 请设置 NETID_PIN，或在终端中运行命令以便输入
cli-next-wrong-passphrase = 请检查 NETID_PASSPHRASE（或输入的口令）后重试
cli-next-no-such-document = 请从 `netid wallet list` 复制证件编号
cli-next-enrol-first = 请先用 `netid wallet enrol` 添加证件
cli-next-refill = 联网后请运行 `netid wallet refill { $id }`
cli-next-request-needed = 请向柜台索取核验请求码，并用 --request 传入
cli-next-restore-store = 请从备份恢复钱包目录，或将其移走后用 `netid wallet init` 重新开始；未做任何改动
cli-next-rolled-back = 请放回钱包目录的最新副本，或清除钱包后重新添加证件
cli-next-credential-refused = 请确认签发方的信任列表（<home>/issuer/trust.json）与其密钥一致，然后重新添加
cli-next-refill-again = 请再次运行 `netid wallet refill`；如仍失败，请检查签发方的信任列表
cli-prompt-biometric = [生物识别模拟] 请用指纹确认，{ $reason }：按回车确认，输入 c 取消：{" "}
cli-reason-view-details = 以查看证件详细信息
cli-reason-show-qr = 以向柜台出示核验码
cli-reason-delete-document = 以删除证件
cli-reason-export-log = 以查看使用记录
cli-reason-enrolment = 以添加证件
cli-prompt-pin = 钱包 PIN 码：{" "}
cli-prompt-new-pin = 新的钱包 PIN 码：{" "}
cli-prompt-new-pin-digits = 新的钱包 PIN 码（6 至 64 位数字）：{" "}
cli-prompt-repeat-pin = 再次输入新的 PIN 码：{" "}
cli-prompt-current-pin = 当前的钱包 PIN 码：{" "}
cli-wallet-linkable-warning = 此业务的一次性核验码已用完，本码由您的完整证件生成：互相比对记录的柜台能看出以这种方式生成的码都属于您。请联网补充（`netid wallet refill`）。
cli-wallet-refill-due = { $purpose }的一次性核验码即将用完：联网后请运行 `netid wallet refill { $id }`。
cli-wallet-qr-facts = 二维码版本 { $version }，纠错等级 { $level }，{ $bytes } 字节；有效期至 { $until }（{ $seconds } 秒）。
cli-demo-step = [{ $n }/5] { $text }
cli-demo-step-issuer = 开发用签发方（代替真实的签发机关）
cli-demo-step-wallet = 钱包：本机上的加密存储
cli-demo-step-enrol = 申领：持有人密钥、持有证明、签发、信任检查、加密存储，然后领取一批一次性核验码
cli-demo-step-qr = 给{ $purpose }柜台的实时二维码
cli-demo-step-verify = 柜台扫描当前核验码并进行核验
cli-demo-one-time-codes = 一次性核验码，每个都有自己的密钥和状态项：{ $levels }
cli-demo-countdown = { $remaining } 秒后过期 — 剩 { $refresh } 秒时刷新；按回车或 q 停止{" "}
cli-demo-refreshed = 已刷新：刚刚签名的新核验码
cli-demo-removed = 临时演示目录现已删除。运行 `netid demo --home DIR` 可保留。
cli-demo-kept = 所有内容都保留在上面的目录中。
cli-wallet-created = 已在 { $dir } 创建空的加密钱包。
cli-wallet-next-enrol = 下一步：netid wallet enrol --doctype resident-id --claims 文件
cli-wallet-enrolled = 已添加{ $doctype }，证件编号 { $id }。
cli-wallet-no-codes-yet = 暂无一次性核验码（{ $problem }）；请运行 `netid wallet refill { $id }`。
cli-wallet-codes-left = 剩余一次性核验码：{ $levels }。
cli-wallet-no-documents = 钱包中还没有证件。请用 `netid wallet enrol` 添加。
cli-wallet-added = 添加于 { $at }
cli-wallet-show-header = { $doctype }（{ $grade }），签发机构 { $issuer }
cli-wallet-show-dates = 签发于 { $issued }，有效期至 { $expires }
cli-wallet-deleted = 已删除证件 { $id } 及其持有人密钥。
cli-wallet-locked = 钱包已锁定：密钥已从内存中清除。每条 netid 命令只在本次运行期间解锁钱包。
cli-wallet-wiped = 已清空 { $dir } 中的钱包：证件、持有人密钥和密钥库条目均已删除。
cli-progress-creating-wallet = 正在创建加密钱包
cli-progress-unlocking = 正在解锁钱包
cli-progress-holder-key = 正在创建持有人密钥并向签发方证明持有
cli-progress-issuing = 开发用签发方正在核对证明并签发凭证
cli-progress-storing = 正在按信任列表核验凭证并保存
cli-progress-batch-keys = 正在为每个一次性核验码创建持有人密钥并签署批量请求
cli-progress-batch-issuing = 开发用签发方正在核对请求并签发一次性核验码
cli-progress-batch-storing = 正在核验并保存一次性核验码
cli-progress-wiping = 正在删除持有人密钥、存储及其密钥库条目
cli-error-key-attestation-refused = 签发方拒绝了此持有人密钥（{ $grade }）：{ $rule }
cli-attestation-rule-not-hardware = 该等级要求密钥位于安全硬件（TEE 或 StrongBox）中且须经用户身份验证才能使用，而此密钥是软件密钥。
cli-attestation-rule-no-user-auth = 该等级要求密钥只能在用户身份验证后使用，而此密钥的证明未显示这一点。
cli-attestation-rule-not-verifiable = 该等级要求经过验证的硬件，而此签发方未配置 iOS App Attest 根证书和应用 ID，无法验证此密钥的 App Attest 证明。
cli-attestation-rule-unknown-root = 密钥的证明链不是以此签发方信任的根证书结束的。
cli-attestation-rule-evidence = 密钥的证明材料被拒绝（{ $detail }）。
cli-next-attestation-enhanced = 请以基础级添加，或使用密钥位于安全硬件中的设备；仅限开发：可让此签发方在增强级接受软件密钥：`netid issuer attestation --enhanced any-key`
cli-next-attestation-basic = 请使用密钥位于安全硬件中的设备添加；仅限开发：可让此签发方在基础级接受软件密钥：`netid issuer attestation --basic any-key`
cli-next-attestation-root = 请用 `netid issuer attestation --trust-root FILE` 添加设备厂商的证明根证书，然后重新添加证件
cli-next-attestation-evidence = 此设备的密钥证明不可接受：请用新密钥重新添加；如仍失败，请报告该设备
cli-attestation-development-policy = 开发用签发方：增强级接受软件密钥
cli-attestation-rule-app-id = 密钥的 iOS App Attest 证明属于此签发方不接受的应用（其应用 ID 未配置）。
cli-attestation-rule-app-attest-development = 密钥的 iOS App Attest 证明来自开发签名的版本，此签发方拒绝此类版本。
cli-next-attestation-app-attest = 请用 Apple 的 App Attestation 根证书和您的应用 ID 为此签发方配置 iOS App Attest：`netid issuer attestation --app-attest-root FILE --app-id TEAMID.bundle.id`，然后重新添加证件；或以基础级添加
cli-next-attestation-app-attest-root = 请用 `netid issuer attestation --app-attest-root FILE` 添加 Apple 的 App Attestation 根证书，然后重新添加证件
cli-next-attestation-app-id = 如果这是您的应用，请用 `netid issuer attestation --app-id TEAMID.bundle.id` 添加其应用 ID，然后重新添加证件
cli-next-attestation-app-attest-development = 请使用正式签名的应用版本添加；仅限开发：可让此签发方接受开发版本：`netid issuer attestation --allow-app-attest-development`
cli-attestation-app-attest-development-policy = 开发用签发方：接受开发签名版本的 iOS App Attest 密钥
cli-wallet-holder-key-attested = 签发方核验的持有人密钥：{ $level }；需要用户身份验证：{ $user_auth }。

## 活动记录的条目类型（wallet log）：activity-<kind>。

activity-enrolment = 添加证件
activity-presentation = 出示
activity-refill = 补充核验码
activity-deletion = 删除
activity-failed-authentication = 验证失败
activity-lockout = 锁定
activity-details-viewed = 查看详情
activity-log-exported = 导出记录
activity-other = 其他
