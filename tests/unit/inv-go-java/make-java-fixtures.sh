#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds the Java archives the Java cataloger tests read, into OUT. Real archives come from javac and
# jar; the odd ones (data descriptors, corruption, bombs, deep nesting) from python3's zipfile.
# Usage: make-java-fixtures.sh OUT
set -eu
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
w="$out/work"
rm -rf "$w"
mkdir -p "$w"
cd "$w"

# klass DIR PACKAGE.CLASS: a tiny class for DIR. Sources are collected first and compiled by a single
# javac run (compile_classes), because every JVM start costs about a second.
klass() {
        pkg=${2%.*} cls=${2##*.}
        pdir=$(echo "$pkg" | tr . /)
        mkdir -p "src/$pdir"
        printf 'package %s;\npublic class %s { public static String name() { return "%s"; } }\n' \
                "$pkg" "$cls" "$cls" >"src/$pdir/$cls.java"
        echo "$1 $pdir/$cls" >>classes.list
}

compile_classes() {
        javac -nowarn -d classes $(find src -name '*.java')
        while read -r dir cls; do
                mkdir -p "$dir/$(dirname "$cls")"
                cp "classes/$cls.class" "$dir/$cls.class"
        done <classes.list
}

klass d1 demo.Commons
klass d2 mylib.Main
klass d3 org.apache.commons.io.IOUtils
klass lib-a a.A
klass lib-b b.B
klass d4/WEB-INF/classes shop.Servlet
klass lib-deep deep.D
klass d5w/WEB-INF/classes bank.Web
klass lib-u util.U
klass lib-s org.springframework.core.Core
klass d6/BOOT-INF/classes com.example.demo.App
klass d7 shaded.App
klass d7 com.google.common.base.Strings
compile_classes

# pom DIR GROUP ARTIFACT VERSION: writes META-INF/maven/GROUP/ARTIFACT/pom.properties as Maven does
pom() {
        mkdir -p "$1/META-INF/maven/$2/$3"
        printf '#Created by Apache Maven 3.8.7\ngroupId=%s\nartifactId=%s\nversion=%s\n' "$2" "$3" "$4" \
                >"$1/META-INF/maven/$2/$3/pom.properties"
}

# 1. a Maven-style jar
pom d1 org.example commons-demo 1.4
jar --create --file "$out/commons-demo-1.4.jar" -C d1 .

# 2. manifest only (continuation lines, CRLF as the JDK writes them)
cat >m2.txt <<'MF'
Implementation-Title: mylib
Implementation-Version: 2.3.4
Implementation-Vendor-Id: org.mylib
Bundle-License: Apache-2.0;link="https://www.apache.org/licen
 ses/LICENSE-2.0.txt", MIT
Implementation-Vendor: The My
  Lib Authors
MF
jar --create --file "$out/mylib.jar" --manifest m2.txt -C d2 .

# 3. file name only (no manifest at all)
jar --create --no-manifest --file "$out/commons-io-2.11.0.jar" -C d3 .

# 4. a war with its own pom and two libraries
pom lib-a org.alpha alpha 1.0
jar --create --file alpha-1.0.jar -C lib-a .
jar --create --no-manifest --file beta-2.0.1.jar -C lib-b .
mkdir -p d4/WEB-INF/lib d4/WEB-INF/classes
pom d4 org.shop shop 3.0
cp alpha-1.0.jar beta-2.0.1.jar d4/WEB-INF/lib/
jar --create --file "$out/shop.war" -C d4 .

# 5. an ear holding a war holding jars (three levels), and a library jar
pom lib-deep org.deep deep 0.9
jar --create --file deep-0.9.jar -C lib-deep .
mkdir -p d5w/WEB-INF/lib
cp deep-0.9.jar d5w/WEB-INF/lib/
jar --create --file bank-web.war -C d5w .
mkdir -p d5/lib
pom lib-u org.bank util 1.1
jar --create --file d5/lib/util-1.1.jar -C lib-u .
cp bank-web.war d5/
printf 'Implementation-Title: bank\nImplementation-Version: 7.0\n' >m5.txt
jar --create --file "$out/bank.ear" --manifest m5.txt -C d5 .

# 6. a Spring Boot style fat jar: nested jars stored uncompressed under BOOT-INF/lib
pom lib-s org.springframework spring-core 5.3.0
jar --create --file spring-core-5.3.0.jar -C lib-s .
mkdir -p d6/BOOT-INF/lib d6/BOOT-INF/classes
cp spring-core-5.3.0.jar d6/BOOT-INF/lib/
pom d6 com.example demo 0.0.1-SNAPSHOT
printf 'Main-Class: org.springframework.boot.loader.JarLauncher\nStart-Class: com.example.demo.App\nSpring-Boot-Lib: BOOT-INF/lib/\n' >m6.txt
jar --create --no-compress --file "$out/demo-0.0.1-SNAPSHOT.jar" --manifest m6.txt -C d6 .

# 7. a shaded jar: its own pom and a bundled dependency's
pom d7 com.x shaded-app 1.0
pom d7 com.google.guava guava 31.1-jre
jar --create --file "$out/shaded-app-1.0.jar" -C d7 .

# 7b. a Spring Boot "fully executable" jar: a launch script in front of the zip; a text file named .jar
{ printf '#!/bin/bash\n# launch script\nexec java -jar "$0" "$@"\nexit 0\n'; cat "$out/commons-demo-1.4.jar"; } \
        >"$out/exec-demo-1.4.jar"
printf 'just text, not an archive\n' >"$out/text-1.0.jar"

python3 - "$out" <<'PY'
import io, os, sys, zipfile, zlib

out = sys.argv[1]

class Unseekable(io.RawIOBase):
    """Makes zipfile write data descriptors (flag bit 3) instead of seeking back."""
    def __init__(self, f): self.f = f
    def writable(self): return True
    def write(self, b): return self.f.write(b)

def pom(g, a, v):
    return ("#Generated\ngroupId=%s\nartifactId=%s\nversion=%s\n" % (g, a, v)).encode()

def build(members, stream=False):
    """members: list of (name, data, compress_type); returns the zip's bytes."""
    buf = io.BytesIO()
    target = Unseekable(buf) if stream else buf
    with zipfile.ZipFile(target, "w") as z:
        for name, data, ct in members:
            z.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, compress_type=ct)
    return buf.getvalue()

S, D = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED

# 8. stored and deflated members with data descriptors (written to an unseekable stream)
inner = build([("META-INF/maven/org.dd/inner/pom.properties", pom("org.dd", "inner", "0.1"), S)], stream=True)
open(os.path.join(out, "dd-stored-1.0.jar"), "wb").write(build([
    ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n\r\n", S),
    ("a/Big.class", os.urandom(3000), S),
    ("META-INF/maven/org.dd/dd-stored/pom.properties", pom("org.dd", "dd-stored", "1.0"), D),
    ("lib/inner-0.1.jar", inner, S),
    ("META-INF/maven/org.dd/deflated/pom.properties", pom("org.dd", "deflated", "2.0"), D),
], stream=True))

# 9. corrupt archives: truncated in the middle, garbage after the first member, not a zip at all
good = open(os.path.join(out, "commons-demo-1.4.jar"), "rb").read()
open(os.path.join(out, "truncated-1.0.jar"), "wb").write(good[: len(good) // 2])
garbled = bytearray(good)
for i in range(200, min(len(garbled), 600)):
    garbled[i] ^= 0x5A
open(os.path.join(out, "garbled-1.0.jar"), "wb").write(bytes(garbled))
open(os.path.join(out, "notzip-1.0.jar"), "wb").write(b"PK\x03\x04" + b"\x00" * 10 + b"this is not a zip" * 10)

# 10. zip bombs: 1 GiB of zeros in a deflated member without sizes (data descriptor), which must be
# inflated to find its end; the same with sizes, which can be skipped; and as a nested "jar".
def zeros_deflated(total):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (16 << 20)
    parts = [c.compress(chunk) for _ in range(total // len(chunk))]
    parts.append(c.flush())
    return b"".join(parts)

GIB = 1 << 30
raw = zeros_deflated(GIB)
crc = 0
chunk = b"\0" * (16 << 20)
for _ in range(GIB // len(chunk)):
    crc = zlib.crc32(chunk, crc)

def bomb_zip(name, with_dd, extra=()):
    """A zip whose member `name` inflates to 1 GiB, followed by a pom that must still be found."""
    b = bytearray()
    entries = []
    def local(n, flags, method, crcv, csize, usize, data):
        off = len(b)
        nb = n.encode()
        b.extend(b"PK\x03\x04" + (20).to_bytes(2, "little") + flags.to_bytes(2, "little") +
                 method.to_bytes(2, "little") + b"\0\0\0\0" +
                 (0 if flags & 8 else crcv).to_bytes(4, "little") +
                 (0 if flags & 8 else csize).to_bytes(4, "little") +
                 (0 if flags & 8 else usize).to_bytes(4, "little") +
                 len(nb).to_bytes(2, "little") + b"\0\0" + nb)
        b.extend(data)
        if flags & 8:
            b.extend(b"PK\x07\x08" + crcv.to_bytes(4, "little") + csize.to_bytes(4, "little") +
                     usize.to_bytes(4, "little"))
        entries.append((nb, flags, method, crcv, csize, usize, off))
    local(name, 8 if with_dd else 0, 8, crc, len(raw), GIB & 0xffffffff, raw)
    for n, data in extra:
        local(n, 0, 0, zlib.crc32(data), len(data), len(data), data)
    cd = len(b)
    for nb, flags, method, crcv, csize, usize, off in entries:
        b.extend(b"PK\x01\x02" + (20).to_bytes(2, "little") + (20).to_bytes(2, "little") +
                 flags.to_bytes(2, "little") + method.to_bytes(2, "little") + b"\0\0\0\0" +
                 crcv.to_bytes(4, "little") + csize.to_bytes(4, "little") + usize.to_bytes(4, "little") +
                 len(nb).to_bytes(2, "little") + b"\0" * 12 + off.to_bytes(4, "little") + nb)
    b.extend(b"PK\x05\x06" + b"\0\0\0\0" + len(entries).to_bytes(2, "little") * 2 +
             (len(b) - cd).to_bytes(4, "little") + cd.to_bytes(4, "little") + b"\0\0")
    return bytes(b)

tail = [("META-INF/maven/org.bomb/after/pom.properties", pom("org.bomb", "after", "1.0"))]
open(os.path.join(out, "bomb-dd-1.0.jar"), "wb").write(bomb_zip("data/zeros.bin", True, tail))
open(os.path.join(out, "bomb-sized-1.0.jar"), "wb").write(bomb_zip("data/zeros.bin", False, tail))
open(os.path.join(out, "bomb-nested-1.0.jar"), "wb").write(bomb_zip("lib/zeros-1.0.jar", True, tail))

# 11. a jar nested ten deep, each level with its own pom
data = None
for level in range(10, 0, -1):
    members = [("META-INF/maven/org.nest/level%d/pom.properties" % level, pom("org.nest", "level%d" % level, "1.0"), D)]
    if data is not None:
        members.append(("lib/level%d-1.0.jar" % (level + 1), data, S))
    data = build(members)
open(os.path.join(out, "nest-1.0.jar"), "wb").write(data)

# 12. the same pom twice (duplicate member names), and a pom missing groupId/artifactId (from the path)
with zipfile.ZipFile(os.path.join(out, "dup-1.0.jar"), "w") as z:
    import warnings
    warnings.simplefilter("ignore")
    z.writestr("META-INF/maven/org.dup/dup/pom.properties", pom("org.dup", "dup", "1.0"))
    z.writestr("META-INF/maven/org.dup/dup/pom.properties", pom("org.dup", "dup", "1.0"))
    z.writestr("META-INF/maven/org.path/from-path/pom.properties", b"version=4.5\n")
PY
rm -rf "$w"
