# The counter desk page (netid-verifier /desk): what the clerk reads.
# Refusal reasons (refusal-*), claim labels (claim-*) and purposes (purpose-*) are in netid.ftl,
# shared with the netid command.

desk-title = netid counter desk
desk-counter = Counter
desk-purpose-label = Purpose
# The switch names the other language, in that language.
desk-lang-switch = 中文
desk-sign-out = Sign out

desk-scan-label = Scan the resident's code
desk-scan-hint = A scanner types the code and presses Enter by itself. Or use the camera.
desk-camera-start = Use the camera
desk-camera-stop = Stop the camera
desk-camera-looking = Hold the resident's phone in front of the camera.
desk-camera-unavailable = The camera could not be started. Allow camera access for this page, or use the scanner.
desk-camera-decoder-failed = The camera picture could not be read. Use the scanner, or reload the page.

desk-interactive-start = Ask the phone first (signed request)
desk-challenge-title = Let the resident's phone scan this
desk-challenge-qr =
    .alt = Request code of this counter for the resident's wallet app
desk-challenge-waiting = Waiting for the resident's answer: scan the code the phone shows next. This request expires in { $seconds } s.
desk-challenge-expired = The request expired before an answer was scanned. Press "Ask the phone first" again.
desk-challenge-cancel = Cancel

desk-accepted = ACCEPTED
desk-refused = REFUSED
desk-result-clears-in = This screen clears in { $seconds } s.
desk-result-clear = Clear now (Esc)
desk-value-female = Female
desk-value-male = Male
desk-value-yes = Yes
desk-value-no = No

desk-error-network = The verification service could not be reached. Check the network and scan again.
desk-error-service = The verification service could not answer. Scan again; if it keeps failing, call the operator.
desk-error-rate-limited = Too many scans at once. Wait a moment and scan again.
desk-error-not-registered = This counter is not registered, so it cannot ask the phone first. Scan the resident's code directly.

desk-sign-in-title = Sign in this desk
desk-sign-in-help = Enter this counter's token, from the service's operator. The desk stays signed in for the shift.
desk-sign-in-token = Counter token
desk-sign-in-submit = Sign in
desk-sign-in-refused = That token is not a counter token of this service. Check it with the operator.
