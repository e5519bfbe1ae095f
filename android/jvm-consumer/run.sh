#!/usr/bin/env bash
# Builds the JVM artifact io.netid:netid-jvm (android/jvm/pom.xml), deploys it into a Maven
# repository directory (android/jvm/target/maven-repo, never the user's ~/.m2), and runs the
# separate consumer project (android/jvm-consumer) that resolves it from there and calls it.
#
# Usage: android/jvm-consumer/run.sh FFI_LIB EXPECTED_VERSION
#   FFI_LIB: libnetid_ffi.so built with --features dev-issuer (the JVM bindings' variant)
set -euo pipefail
ffi_lib=${1:?usage: run.sh FFI_LIB EXPECTED_VERSION}
expected_version=${2:?usage: run.sh FFI_LIB EXPECTED_VERSION}
here=$(cd "$(dirname "$0")" && pwd)
android=$(dirname "$here")
jvm="$android/jvm"
repo="$jvm/target/maven-repo"
mvn_quiet=(mvn -B -q -ntp -Dstyle.color=never)

pom_version=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' "$jvm/pom.xml" | head -1)
if [ "$pom_version" != "$expected_version" ]; then
  echo "jvm-consumer: android/jvm/pom.xml has version $pom_version, the Cargo version is $expected_version" >&2
  exit 1
fi

# The library as a class-path resource under JNA's platform prefix, stripped of debug information
# (the dynamic symbol table JNA binds through stays).
native="$jvm/target/native"
rm -rf "$native" "$repo"
mkdir -p "$native/linux-x86-64"
strip --strip-debug -o "$native/linux-x86-64/libnetid_ffi.so" "$ffi_lib"

"${mvn_quiet[@]}" -f "$jvm/pom.xml" deploy -Dnetid.nativeDir="$native" -Dmaven.install.skip=true \
  -DaltDeploymentRepository="netid-local::file://$repo"
deployed="$repo/io/netid/netid-jvm/$expected_version"
for f in "netid-jvm-$expected_version.jar" "netid-jvm-$expected_version.pom"; do
  [ -f "$deployed/$f" ] || { echo "jvm-consumer: $deployed/$f was not deployed" >&2; exit 1; }
done
jar tf "$deployed/netid-jvm-$expected_version.jar" | grep -x 'linux-x86-64/libnetid_ffi.so' >/dev/null ||
  { echo "jvm-consumer: the jar has no linux-x86-64/libnetid_ffi.so" >&2; exit 1; }
# The POM names what the bindings need at run time.
for dep in kotlin-stdlib jna kotlinx-coroutines-core-jvm; do
  grep -q "<artifactId>$dep</artifactId>" "$deployed/netid-jvm-$expected_version.pom" ||
    { echo "jvm-consumer: the deployed POM lacks $dep" >&2; exit 1; }
done

# The consumer, with a local repository of its own (see repository-settings.xml): netid-jvm
# comes from the deployed repository, afresh each run.
consumer_m2="$here/target/m2"
rm -rf "$consumer_m2/io/netid"
log="$here/target/consumer-test.log"
mkdir -p "$here/target"
"${mvn_quiet[@]}" -f "$here/pom.xml" -gs "$here/repository-settings.xml" \
  -Dmaven.repo.local="$consumer_m2" -Dnetid.repository="file://$repo" \
  -Dorg.slf4j.simpleLogger.log.org.apache.maven.plugin.surefire=info \
  test -Dnetid.expectedVersion="$expected_version" | tee "$log"
# As in scripts/test.sh: JUnit skips a test method that returns a value, so count them.
declared=$(grep -rh '^\s*@Test$' "$here/src/test/kotlin" | wc -l | tr -d ' ')
ran=$(sed -n 's/.*Tests run: \([0-9]*\), Failures: 0, Errors: 0, Skipped: 0$/\1/p' "$log" | tail -1)
if [ "$ran" != "$declared" ]; then
  echo "jvm-consumer: ${ran:-no} tests passed, the sources declare $declared" >&2
  exit 1
fi
resolved="$consumer_m2/io/netid/netid-jvm/$expected_version/netid-jvm-$expected_version.jar"
if ! cmp -s "$resolved" "$deployed/netid-jvm-$expected_version.jar"; then
  echo "jvm-consumer: the consumer did not resolve the jar just deployed ($resolved)" >&2
  exit 1
fi
echo "jvm-consumer: io.netid:netid-jvm:$expected_version resolved from $repo and ran"
