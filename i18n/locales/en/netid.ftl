# netid message catalogue, English. Every id here must also be in ../zh-CN/netid.ftl with the
# same variables (cargo test -p netid-i18n checks both). Conventions: docs/i18n.md.
# Messages never carry personal data: variables are counts, kinds, ids and counter names.

## Refusals: why a counter refused a code, as a sentence the clerk can act on.
## refusal-<kind> for every VerifyError::kind() of netid-core, the verification service's own
## kinds, and the app library's invalid-configuration.

refusal-malformed = Unreadable code: ask the resident to show it again.
refusal-unknown-issuer = Not issued by a trusted authority: do not accept this ID.
refusal-bad-issuer-signature = Forged or altered ID (the issuer's signature is invalid): do not accept it.
refusal-bad-holder-signature = This code was not made by the ID's owner: do not accept it.
refusal-disclosure-mismatch = The details shown do not match the ID: do not accept it.
refusal-expired = Code expired: ask the resident to refresh it.
refusal-not-yet-valid = This ID or code is not valid yet: check the clocks of the phone and the counter.
refusal-issued-in-future = This code claims to be made in the future: ask the resident to check the phone's clock and refresh the code.
refusal-replayed = Already used: this code was scanned before. Ask for a fresh code.
refusal-replay-cache-full = Too many codes scanned in the last minutes: wait a moment and scan again.
refusal-wrong-audience = This code was made for another counter or service: ask for a code for this one.
refusal-nonce-mismatch = This code does not answer this counter's challenge: let the resident scan the counter's code again.
refusal-policy-unmet = This code does not show what this service needs: ask for a code made for this service.
refusal-credential-expired = This ID has expired: the resident must renew it.
refusal-revoked = This ID has been revoked by its issuer: do not accept it.
refusal-suspended = This ID is suspended by its issuer: do not accept it.
refusal-status-unavailable = The ID's revocation status cannot be checked right now: update the status list and scan again.
refusal-status-stale = The revocation list is out of date: update it, then scan again.
refusal-request-required = This service needs a code made for this counter: show the counter's request code and scan the resident's answer.
refusal-request-expired = The counter's request has expired: show a new request code.
refusal-replay-cache-reset = The service restarted and cannot tell whether this code was used already: ask the resident for a fresh code.
refusal-replay-cache-unavailable = The verification service cannot check for reused codes right now: wait a moment and scan again; if it persists, call a supervisor.
refusal-challenge-unknown = This counter's request is not known to the service (expired or never issued): show a new request code.
refusal-invalid-configuration = This counter's setup is not valid (trust list, status list or options): call a supervisor.

## Claim labels: claim-<name> for every ClaimName::as_str() of netid-core.

claim-name = Name
claim-sex = Sex
claim-ethnicity = Ethnicity
claim-birth_date = Date of birth
claim-address = Address
claim-id_number = Citizen ID number
claim-issuing_authority = Issuing authority
claim-age_over_18 = Aged 18 or over
claim-age_over_60 = Aged 60 or over
claim-nationality = Nationality
claim-vehicle_class = Vehicle classes
claim-first_issue_date = First issued
claim-card_number = Social security card number

## Purposes: purpose-<name> for every Purpose::as_str().

purpose-hotel = Hotel check-in
purpose-cafe = Internet café
purpose-ticket = Train ticket
purpose-gov = Government service

## Document types and grades.

doctype-resident-id = Resident identity card
doctype-driving-licence = Driving licence
doctype-social-security-card = Social security card
doctype-residence-permit = Residence permit
grade-basic = basic grade
grade-enhanced = enhanced grade

## Why a policy was not met: the detail after refusal-policy-unmet.

policy-doc-type = this counter does not accept this kind of document
policy-assurance-too-low = the ID is the basic grade; this service needs the enhanced (colour) grade
policy-missing-claim = the code does not show { $claim }
policy-condition-false = the requirement "{ $claim }" is not met
policy-other-purpose = the code was made for { $purpose }

## Wallet errors a resident sees: wallet-error-<kind>, each naming the next step. The kinds of the
## app library's WalletError (bindings/src/error.rs, WalletError::kind) and of the netid command.

wallet-error-locked = The wallet is locked: unlock it to continue.
wallet-error-pin-required = This wallet is protected by a PIN: enter your PIN.
wallet-error-wrong-pin = Wrong PIN: try again.
wallet-error-locked-out = Too many failed attempts: wait until the lockout ends, then try again.
wallet-error-locked-for-good = Too many failed attempts: this wallet is locked for good. Remove it and add your documents again.
wallet-error-cancelled = The confirmation was cancelled: try again when you are ready.
wallet-error-not-recognised = Fingerprint or face not recognised: try again.
wallet-error-biometrics-not-enrolled = No fingerprint, face or screen lock is set up: set one up in the system settings.
wallet-error-system-locked-out = The phone has locked biometrics: unlock the phone with its passcode, then try again.
wallet-error-holder-key-invalidated = This document's key no longer works (for example after fingerprints or faces changed): add the document again; your other documents are not affected.
wallet-error-authenticator-invalidated = The wallet's biometric unlock no longer works because fingerprints or faces changed: set it up again, then add your documents again.
wallet-error-host-misbehaved = Something went wrong on this phone and nothing was shown: update the app or contact support.
wallet-error-host-unavailable = The phone's secure storage is not available right now: try again later.
wallet-error-key-unavailable = The wallet's key cannot be found on this phone: restore a backup or start the wallet again.
wallet-error-store-damaged = The wallet's data is damaged or was changed outside the app, and nothing was overwritten: restore a backup or start again.
wallet-error-storage-failed = The wallet could not read or write its data: check free space, then try again.
wallet-error-no-such-document = This document is not in the wallet: refresh the list.
wallet-error-credential-refused = The issued document could not be accepted: start the enrolment again, or contact the issuer.
wallet-error-pool-empty = No one-time codes are left for this service: go online and refill them.
wallet-error-request-refused = This counter's request was refused and nothing was shown: ask the counter for a new request code, or do not show your ID there.
wallet-error-request-required = This code shows your whole card and is made only for a registered counter: scan the counter's request code.
wallet-error-busy = Another operation is running on this wallet: wait for it to finish.
wallet-error-invalid-input = This request cannot be done as asked: check it and try again.
wallet-error-internal = Something unexpected went wrong: report the problem.
wallet-error-wrong-passphrase = The passphrase does not open this wallet: check it and try again.
wallet-error-key-store-entry-missing = The key store holds no key for this wallet: restore the key store, or start a new wallet.
wallet-error-store-corrupted = The wallet cannot be read and nothing was changed: restore it from a backup, or start a new wallet.
wallet-error-store-rolled-back = The wallet was put back from an older copy: restore the newest copy, or remove the wallet and add your documents again.
wallet-error-no-pin = This wallet has no PIN: set one first.
wallet-error-pin-already-set = This wallet already has a PIN: change it instead.
wallet-error-invalid-pin = A PIN is 6 to 64 digits: choose another.
wallet-error-pin-mismatch = The two PINs differ: type the same PIN twice.
wallet-error-nothing-enrolled = No document is in the wallet yet: add one first.
wallet-error-refill-refused = The issuer's one-time codes were refused and nothing was stored: refill again later.
wallet-error-no-one-time-codes = No one-time codes are left for this service: go online and refill them.
wallet-error-no-wallet = There is no wallet here: create one first.

## What the person can do next: next-step-<kind> for every NextStep of the app library.

next-step-try-again = Try again
next-step-wait-then-try-again = Wait { $seconds } seconds, then try again
next-step-enrol-biometrics-in-system-settings = Set up a fingerprint, face or screen lock in Settings
next-step-unlock-device-with-passcode = Unlock the phone with its passcode
next-step-re-enrol-document = Add the document again
next-step-set-up-authenticator-again = Set up biometric unlock again
next-step-set-up-pin = Set up a wallet PIN
next-step-change-pin = Change the PIN
next-step-choose-valid-pin = Choose a PIN of 6 to 64 digits
next-step-try-again-later = Try again later
next-step-report-problem = Report the problem
next-step-unlock-wallet = Unlock the wallet
next-step-enter-pin = Enter your PIN
next-step-enrol-document = Add a document
next-step-contact-issuer = Start again or contact the issuer
next-step-restore-or-reset = Restore a backup or start again
next-step-check-storage = Check free space, then try again
next-step-change-request = Change the request
next-step-wait-for-other-operation = Wait for the other operation to finish
next-step-refill = Go online and refill the one-time codes
next-step-scan-counter-request = Scan the counter's request code
next-step-do-not-show = Do not show your ID to this counter

## Why the wallet refused a counter's request: request-refusal-<kind> for every RequestRefusal.

request-refusal-malformed = This is not a readable counter request: scan the counter's code again.
request-refusal-unknown-registrar = This counter is not registered: do not show your ID to it.
request-refusal-bad-certificate-signature = This counter's registration is forged: do not show your ID to it.
request-refusal-certificate-not-valid = This counter's registration is not valid now: check your phone's clock; if it is right, do not show your ID.
request-refusal-bad-request-signature = This request was not signed by the registered counter: do not show your ID to it.
request-refusal-expired = The counter's request has expired: ask the counter for a new one.
request-refusal-purpose-not-certified = This counter asks for a service it is not registered for: do not show your ID to it.
request-refusal-claim-not-certified = This counter asks for details it is not registered to receive: do not show your ID to it.
request-refusal-replayed = You already answered this request: ask the counter for a new one.

## Biometric prompts: prompt-<reason>-title and -description for every PromptReason.

prompt-view-details-title = View your document
prompt-view-details-description = Confirm it's you to see this document's details.
prompt-show-qr-title = Show your ID code
prompt-show-qr-description = Confirm it's you to make a code for the counter.
prompt-delete-document-title = Delete document
prompt-delete-document-description = Confirm it's you to delete this document from your wallet.
prompt-export-log-title = Export activity
prompt-export-log-description = Confirm it's you to export your wallet's activity log.
prompt-enrolment-title = Add to your wallet
prompt-enrolment-description = Confirm it's you to add this document, or new one-time codes for it, to your wallet.
prompt-cancel = Cancel

## Consent for a registered counter's request, shown before the confirmation.

consent-asks = { $name_zh } / { $name_en } ({ $counter_id }), registered by { $registrar }, asks for { $purpose }: { $claims }.
consent-asks-full-card = { $name_zh } / { $name_en } ({ $counter_id }), registered by { $registrar }, asks for { $purpose }: your whole card — { $claims }.
consent-keeps = It may keep them for { $days } days.
consent-confirm = Confirm to show your code.
consent-list-separator = ,{" "}

## The netid command (cli-…): the words of the lines clerks and residents read.

cli-error-line = error: { $message }
cli-next-line = next: { $next }
cli-refusal-detail = { $refusal } ({ $detail })
cli-verify-accepted = ACCEPTED for { $purpose }: { $doctype } ({ $grade }) from { $issuer }
cli-verify-derived = (from the ID number)
cli-verify-answering = answering request of { $counter_id }
cli-verify-request-shown = Request from { $counter_id } for { $purpose }: let the resident scan it, then scan their answer here (valid { $seconds } s).
cli-attempts-left = { $count ->
    [one] 1 attempt left
   *[other] { $count } attempts left
}
cli-verify-yes = yes
cli-verify-no = no
cli-sex-male = male
cli-sex-female = female
cli-next-malformed = ask the resident to show the code again
cli-next-unknown-issuer = do not accept it; if this issuer should be trusted, add it to the trust list (--trust)
cli-next-do-not-accept = do not accept it
cli-next-expired = ask the resident to refresh the code and scan it again
cli-next-not-yet-valid = check the clocks of the phone and the counter
cli-next-issued-in-future = ask the resident to check the phone's clock and refresh the code
cli-next-replayed = ask the resident to refresh the code: each code is accepted once
cli-next-replay-cache-full = wait a minute and scan again
cli-next-wrong-audience = ask for a code made for this service (--purpose)
cli-next-nonce-mismatch = let the resident scan this counter's challenge again
cli-next-policy-unmet = ask for a code for this service, or use the service's own document
cli-next-credential-expired = the resident must renew the ID
cli-next-status-unavailable = update the issuer's status list (`netid issuer status-list`) and scan again
cli-next-status-stale = publish a fresh status list (`netid issuer status-list`) and scan again
cli-next-request-required = use `netid verify --interactive`: show the counter's request code, then scan the answer
cli-next-request-expired = show a new request code and scan the resident's answer
cli-next-scan-request-again = scan the counter's request code again
cli-next-new-request = ask the counter for a new request code
cli-next-do-not-show = do not show your ID to this counter; report it to the registrar
cli-next-check-clock = check this device's clock; if it is right, the counter must renew its registration
cli-next-confirm-again = run the command again and confirm (NETID_AUTH=allow in scripts)
cli-next-wait-seconds = wait { $seconds } seconds, then try again
cli-next-re-enrol = enrol the document again
cli-next-reset-wallet = wipe the wallet (`netid wallet wipe --yes`) and enrol your documents again
cli-next-choose-pin = choose a PIN of 6 to 64 digits
cli-next-set-pin = set a PIN first with `netid wallet pin set`
cli-next-change-pin = change it with `netid wallet pin change`
cli-next-try-later = try again later
cli-next-not-recognised = try again; after 5 failures in a row the wallet locks for 5 minutes
cli-next-pin-required = set NETID_PIN, or run the command in a terminal to be asked
cli-next-wrong-passphrase = check NETID_PASSPHRASE (or what you typed) and try again
cli-next-no-such-document = copy the id from `netid wallet list`
cli-next-enrol-first = enrol a document first with `netid wallet enrol`
cli-next-refill = run `netid wallet refill { $id }` when online
cli-next-request-needed = ask the counter for its request code and pass it with --request
cli-next-restore-store = restore the wallet directory from a backup, or move it away and start again with `netid wallet init`; nothing was changed
cli-next-rolled-back = put the newest copy of the wallet directory back, or wipe the wallet and enrol again
cli-next-credential-refused = check that the issuer's trust list (<home>/issuer/trust.json) matches its key, then enrol again
cli-next-refill-again = run `netid wallet refill` again; if it keeps failing, check the issuer's trust list
cli-prompt-biometric = [biometric stand-in] Confirm with your fingerprint { $reason }: press Enter to confirm, or type c to cancel:{" "}
cli-reason-view-details = to open the document's details
cli-reason-show-qr = to show a QR code at the counter
cli-reason-delete-document = to delete the document
cli-reason-export-log = to read the activity log
cli-reason-enrolment = to enrol the document
cli-prompt-pin = Wallet PIN:{" "}
cli-prompt-new-pin = New wallet PIN:{" "}
cli-prompt-new-pin-digits = New wallet PIN (6 to 64 digits):{" "}
cli-prompt-repeat-pin = Repeat the new PIN:{" "}
cli-prompt-current-pin = Current wallet PIN:{" "}
cli-wallet-linkable-warning = No one-time code is left for this purpose, so this code was made from your full credential: counters that compare notes can tell that codes made this way are yours. Refill when online (`netid wallet refill`).
cli-wallet-refill-due = One-time codes for { $purpose } are running low: run `netid wallet refill { $id }` when online.
cli-wallet-qr-facts = QR version { $version }, level { $level }, { $bytes } bytes; valid until { $until } ({ $seconds } s).
cli-demo-step = [{ $n }/5] { $text }
cli-demo-step-issuer = The development issuer (a stand-in for the real authority)
cli-demo-step-wallet = The wallet: an encrypted store on this machine
cli-demo-step-enrol = Enrolment: holder key, proof of possession, issuance, trust check, encrypted storage, then a batch of one-time codes
cli-demo-step-qr = The live QR code for the { $purpose } counter
cli-demo-step-verify = The counter scans the current code and verifies it
cli-demo-one-time-codes = one-time codes, each with its own key and status entry: { $levels }
cli-demo-countdown = expires in { $remaining } s — refreshes at { $refresh } s; press Enter or q to stop{" "}
cli-demo-refreshed = refreshed: a new code, signed just now
cli-demo-removed = The temporary demo home is removed now. Run `netid demo --home DIR` to keep it.
cli-demo-kept = Everything stays in the home directory above.
cli-wallet-created = Created an empty encrypted wallet in { $dir }.
cli-wallet-next-enrol = Next: netid wallet enrol --doctype resident-id --claims FILE
cli-wallet-enrolled = Enrolled { $doctype } as document { $id }.
cli-wallet-no-codes-yet = No one-time codes yet ({ $problem }); run `netid wallet refill { $id }`.
cli-wallet-codes-left = One-time codes left: { $levels }.
cli-wallet-no-documents = No documents yet. Enrol one with `netid wallet enrol`.
cli-wallet-added = added { $at }
cli-wallet-show-header = { $doctype } ({ $grade }) from { $issuer }
cli-wallet-show-dates = issued { $issued }, expires { $expires }
cli-wallet-deleted = Deleted document { $id } and its holder key.
cli-wallet-locked = The wallet is locked: its keys are wiped from memory. Every netid command unlocks the wallet only for its own run.
cli-wallet-wiped = Wiped the wallet in { $dir }: documents, holder keys and key-store entries are gone.
cli-progress-creating-wallet = creating the encrypted wallet
cli-progress-unlocking = unlocking the wallet
cli-progress-holder-key = creating a holder key and proving possession to the issuer
cli-progress-issuing = the development issuer checks the proof and issues the credential
cli-progress-storing = checking the credential against the trust list and storing it
cli-progress-batch-keys = creating one holder key per one-time code and signing the batch request
cli-progress-batch-issuing = the development issuer checks the request and issues the one-time codes
cli-progress-batch-storing = checking the one-time codes and storing them
cli-progress-wiping = deleting holder keys, the store and its key-store entry
cli-error-key-attestation-refused = The issuer refused this holder key for the { $grade }: { $rule }
cli-attestation-rule-not-hardware = that grade needs a key in secure hardware (TEE or StrongBox) that requires user authentication, and this key is a software key.
cli-attestation-rule-no-user-auth = that grade needs a key usable only after user authentication, and this key's attestation shows none.
cli-attestation-rule-not-verifiable = that grade needs verified hardware, and this issuer has no iOS App Attest root and app id configured, so it cannot verify this key's App Attest evidence.
cli-attestation-rule-unknown-root = the key's attestation chain does not end in a root this issuer trusts.
cli-attestation-rule-evidence = the key's attestation evidence was refused ({ $detail }).
cli-next-attestation-enhanced = enrol at the basic grade, or with a device whose key is in secure hardware; for development only, let this issuer accept software keys at the enhanced grade: `netid issuer attestation --enhanced any-key`
cli-next-attestation-basic = enrol with a device whose key is in secure hardware; for development only, let this issuer accept software keys at the basic grade: `netid issuer attestation --basic any-key`
cli-next-attestation-root = add the device maker's attestation root with `netid issuer attestation --trust-root FILE`, then enrol again
cli-next-attestation-evidence = this device's key attestation is not acceptable: enrol again with a new key, and if it keeps failing, report the device
cli-attestation-development-policy = development issuer: software keys accepted at the enhanced grade
cli-attestation-rule-app-id = the key's iOS App Attest evidence is for an app this issuer does not accept (its app id is not configured).
cli-attestation-rule-app-attest-development = the key's iOS App Attest evidence comes from a development-signed build, which this issuer refuses.
cli-next-attestation-app-attest = configure iOS App Attest for this issuer with Apple's App Attestation root and your app's id: `netid issuer attestation --app-attest-root FILE --app-id TEAMID.bundle.id`, then enrol again; or enrol at the basic grade
cli-next-attestation-app-attest-root = add Apple's App Attestation root with `netid issuer attestation --app-attest-root FILE`, then enrol again
cli-next-attestation-app-id = if this is your app, add its id with `netid issuer attestation --app-id TEAMID.bundle.id`, then enrol again
cli-next-attestation-app-attest-development = enrol with a production-signed build of the app; for development only, let this issuer accept development builds: `netid issuer attestation --allow-app-attest-development`
cli-attestation-app-attest-development-policy = development issuer: iOS App Attest keys of development-signed builds accepted
cli-wallet-holder-key-attested = Holder key as the issuer checked it: { $level }; user authentication required: { $user_auth }.

## The activity log's entry kinds (wallet log): activity-<kind>.

activity-enrolment = enrolment
activity-presentation = presentation
activity-refill = refill
activity-deletion = deletion
activity-failed-authentication = failed authentication
activity-lockout = lockout
activity-details-viewed = details viewed
activity-log-exported = log exported
activity-other = other
