// The oracle for Java archives: Java's own readers. For every archive given, prints
//   M <jar> <Implementation-Title> <Implementation-Version> <Implementation-Vendor-Id> <Bundle-SymbolicName> <Bundle-Version> <Specification-Title> <Specification-Version>
// from java.util.jar.Manifest's main attributes, and
//   P <jar> <entry> <groupId> <artifactId> <version>
// for every META-INF/maven/**/pom.properties, from java.util.Properties.load. Tab-separated; an absent value is a lone NUL;
// backslash, tab and newline inside values are written \\, \t and \n. Run as a source file: java JarOracle.java <jar>...
import java.io.*;
import java.util.*;
import java.util.jar.*;
import java.util.zip.*;

public class JarOracle {
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        for (String path : args) {
            try (ZipFile zip = new ZipFile(path)) {
                ZipEntry m = zip.getEntry("META-INF/MANIFEST.MF");
                if (m != null) {
                    Attributes a = new Manifest(zip.getInputStream(m)).getMainAttributes();
                    out.println(String.join("\t", "M", path,
                        v(a, "Implementation-Title"), v(a, "Implementation-Version"), v(a, "Implementation-Vendor-Id"),
                        v(a, "Bundle-SymbolicName"), v(a, "Bundle-Version"), v(a, "Specification-Title"), v(a, "Specification-Version")));
                }
                for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
                    ZipEntry z = e.nextElement();
                    if (z.getName().startsWith("META-INF/maven/") && z.getName().endsWith("/pom.properties")) {
                        Properties p = new Properties();
                        try (InputStream in = zip.getInputStream(z)) { p.load(in); }
                        out.println(String.join("\t", "P", path, z.getName(),
                            n(p.getProperty("groupId")), n(p.getProperty("artifactId")), n(p.getProperty("version"))));
                    }
                }
            }
        }
    }
    static String v(Attributes a, String k) { return n(a.getValue(k)); }
    static String n(String s) { return s == null ? "\u0000" : s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n"); }
}
