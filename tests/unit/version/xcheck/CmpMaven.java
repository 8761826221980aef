// SPDX-License-Identifier: Apache-2.0
// Reads "A<TAB>B" lines, prints the sign of Maven's ComparableVersion(A).compareTo(ComparableVersion(B)).
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class CmpMaven {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.ISO_8859_1));
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
        String l;
        while ((l = in.readLine()) != null) {
            int t = l.indexOf('\t');
            ComparableVersion a = new ComparableVersion(l.substring(0, t));
            ComparableVersion b = new ComparableVersion(l.substring(t + 1));
            out.println(Integer.signum(a.compareTo(b)));
        }
        out.flush();
    }
}
