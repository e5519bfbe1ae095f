#!/usr/bin/env bash
# Release-build check of the Android library's consumer R8 rules, on a JVM.
#
# An app built with minifyEnabled runs R8 in full mode over its own code, the netid bindings, JNA
# and kotlinx-coroutines, with the library's consumer rules (android/consumer-rules.pro). This
# script does the same with the JVM variant of the generated bindings and the JUnit tests of
# android/jvm-tests as the "app": R8 (com.android.tools:r8 from Maven Central, of the 8.7 line AGP 8.7
# ships) shrinks, optimises and obfuscates them in full mode with exactly the consumer rules, the
# rules embedded in the library jars (as AGP passes them) and shrink-test/app-rules.pro (JUnit's
# entry points only), then JUnit runs every test on the shrunk jar against the native library.
# A keep rule missing from consumer-rules.pro shows up as a failing test.
#
# The Android glue (io.netid.wallet.android) needs the Android framework to run and is not part
# of this check; it is compiled by android/compile-check.
#
# Usage: android/shrink-test/run.sh FFI_LIB_DIR EXPECTED_VERSION
#   FFI_LIB_DIR: the directory holding libnetid_ffi.so built with --features dev-issuer
set -euo pipefail
ffi_lib_dir=${1:?usage: run.sh FFI_LIB_DIR EXPECTED_VERSION}
expected_version=${2:?usage: run.sh FFI_LIB_DIR EXPECTED_VERSION}
here=$(cd "$(dirname "$0")" && pwd)
android=$(dirname "$here")
out="$here/target"
r8_version=8.7.18
junit_console_version=1.11.4
dependency_plugin=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
mvn_quiet=(mvn -B -q -ntp -Dstyle.color=never)

rm -rf "$out/work"
mkdir -p "$out/tools" "$out/work"

# The tools: R8 and JUnit's console launcher, from Maven Central (cached in ~/.m2 by Maven).
for artifact in "com.android.tools:r8:$r8_version" \
  "org.junit.platform:junit-platform-console-standalone:$junit_console_version"; do
  name=$(cut -d: -f2 <<<"$artifact")-$(cut -d: -f3 <<<"$artifact").jar
  [ -f "$out/tools/$name" ] ||
    "${mvn_quiet[@]}" "$dependency_plugin:copy" -Dartifact="$artifact" -DoutputDirectory="$out/tools"
done

# The app's classes: the generated bindings and the tests, compiled by the JVM-test build, and its
# class path (the same versions the JUnit stage uses).
# scripts/test.sh runs this right after the JUnit stage has compiled them: compile again only when
# a source or the pom is newer than the classes.
jvm_tests="$android/jvm-tests"
goals=("$dependency_plugin:build-classpath")
newest_class=$(find "$jvm_tests/target/classes" "$jvm_tests/target/test-classes" -name '*.class' \
  -printf '%T@\n' 2>/dev/null | sort -n | tail -1)
newest_source=$(find "$jvm_tests/src" "$jvm_tests/pom.xml" -type f -printf '%T@\n' | sort -n | tail -1)
if [ -z "$newest_class" ] || awk -v c="$newest_class" -v s="$newest_source" 'BEGIN { exit !(s > c) }'; then
  goals=(test-compile "${goals[@]}")
fi
"${mvn_quiet[@]}" -f "$jvm_tests/pom.xml" "${goals[@]}" \
  -Dmdep.outputFile="$out/work/classpath.txt" -Dmdep.includeScope=test
jar cf "$out/work/bindings.jar" -C "$android/jvm-tests/target/classes" .
jar cf "$out/work/tests.jar" -C "$android/jvm-tests/target/test-classes" .

# Program jars (shrunk with the app: JNA, Kotlin, coroutines) and library jars (not shrunk: JUnit,
# the test runner's own, and ZXing, which stands in for the counter's QR scanner and is a
# test-scope dependency; it ships no keep rules of its own for its enums). Each program jar's embedded rules are passed as AGP passes them:
# META-INF/com.android.tools/r8*/ if the jar has META-INF/com.android.tools/, else
# META-INF/proguard/.
program=("$out/work/bindings.jar" "$out/work/tests.jar")
library=()
test_runtime=()
embedded_rules=()
IFS=: read -r -a classpath <"$out/work/classpath.txt" || true  # no newline at its end
for jar in "${classpath[@]}"; do
  case "$jar" in
    */org/junit/* | */org/opentest4j/* | */org/apiguardian/* | */com/google/zxing/*)
      library+=(--lib "$jar")
      test_runtime+=("$jar")
      ;;
    *)
      program+=("$jar")
      rules_dir="$out/work/rules/$(basename "$jar" .jar)"
      python3 - "$jar" "$rules_dir" <<'EOF'
import os, sys, zipfile
jar, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(jar) as z:
    names = [n for n in z.namelist() if n.endswith(".pro")]
    r8 = [n for n in names if n.startswith("META-INF/com.android.tools/r8")]
    has_tools = any(n.startswith("META-INF/com.android.tools/") for n in z.namelist())
    chosen = r8 if has_tools else [n for n in names if n.startswith("META-INF/proguard/")]
    for n in chosen:
        os.makedirs(dest, exist_ok=True)
        with open(os.path.join(dest, n.replace("/", "_")), "wb") as f:
            f.write(z.read(n))
EOF
      ;;
  esac
done
if [ -d "$out/work/rules" ]; then
  while IFS= read -r -d '' f; do embedded_rules+=(--pg-conf "$f"); done \
    < <(find "$out/work/rules" -name '*.pro' -print0 | sort -z)
fi

# Full mode is R8's default (--pg-compat would turn it off); --release optimises. Class files out,
# so the JVM can run them; R8 carries the jars' other files (JNA's libjnidispatch.so) along.
echo "shrink-test: R8 $r8_version (full mode) over ${#program[@]} program jars, rules: consumer-rules.pro," \
  "app-rules.pro and $((${#embedded_rules[@]} / 2)) embedded in the jars"
java -cp "$out/tools/r8-$r8_version.jar" com.android.tools.r8.R8 \
  --release --classfile \
  --output "$out/work/app-shrunk.jar" \
  --pg-map-output "$out/work/mapping.txt" \
  --lib "${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}" \
  "${library[@]}" \
  --pg-conf "$android/consumer-rules.pro" \
  --pg-conf "$here/app-rules.pro" \
  "${embedded_rules[@]}" \
  "${program[@]}"

# It must really have shrunk and renamed: the public API class Wallet is obfuscated, and most
# classes are gone (a rule that kept too much would hide the removals R8 makes in an app).
count_classes() { jar tf "$1" | grep -c '\.class$' || true; }
classes_in=0
for jar in "${program[@]}"; do classes_in=$((classes_in + $(count_classes "$jar"))); done
classes_out=$(count_classes "$out/work/app-shrunk.jar")
echo "shrink-test: $classes_in classes in, $classes_out out"
if ! grep -q '^io\.netid\.wallet\.Wallet -> ' "$out/work/mapping.txt" ||
  grep -q '^io\.netid\.wallet\.Wallet -> io\.netid\.wallet\.Wallet:' "$out/work/mapping.txt"; then
  echo "shrink-test: io.netid.wallet.Wallet was not obfuscated: the rules keep more than they should" >&2
  exit 1
fi
if [ "$classes_out" -gt $((classes_in / 2)) ]; then
  echo "shrink-test: more than half the classes survived: the rules keep more than they should" >&2
  exit 1
fi

# Every test of android/jvm-tests on the shrunk jar. Only the library jars (JUnit, ZXing) are added
# to the class path: everything else the tests need must be in the shrunk jar.
log="$out/work/junit.log"
java -Djna.library.path="$ffi_lib_dir" \
  -Dnetid.ffiLibDir="$ffi_lib_dir" -Dnetid.expectedVersion="$expected_version" \
  -jar "$out/tools/junit-platform-console-standalone-$junit_console_version.jar" execute \
  --class-path "$out/work/app-shrunk.jar$(printf ':%s' "${test_runtime[@]}")" --scan-class-path "$out/work/app-shrunk.jar" \
  --disable-banner --details=summary --details-theme=ascii 2>&1 | tee "$log"
declared=$(grep -rh '^\s*@Test$' "$android/jvm-tests/src/test/kotlin" | wc -l | tr -d ' ')
succeeded=$(sed -n 's/^\[ *\([0-9]*\) tests successful *\]$/\1/p' "$log")
failed=$(sed -n 's/^\[ *\([0-9]*\) tests failed *\]$/\1/p' "$log")
if [ "${failed:-x}" != 0 ] || [ "${succeeded:-x}" != "$declared" ]; then
  echo "shrink-test: on the shrunk jar ${succeeded:-no} of $declared tests passed, ${failed:-?} failed" >&2
  exit 1
fi
echo "shrink-test: all $declared tests passed on the R8-shrunk jar"
