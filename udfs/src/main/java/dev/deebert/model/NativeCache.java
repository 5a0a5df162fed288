package dev.deebert.model;

import ai.djl.util.Utils;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * DJL extracts libtorch into its engine cache directory and loads it from there, so whoever can write that
 * directory runs code in every JVM that uses it. Before PyTorch is first loaded, the directory must belong
 * to the user the JVM runs as and be writable by nobody else; a missing one is created 0700.
 */
public final class NativeCache {
    /** The directory last found safe: DJL's setting is read again each time, and a changed one checked again. */
    private static volatile Path verified;

    private NativeCache() {}

    /**
     * Checks DJL's engine cache directory ({@link #verify(Path)}) the first time PyTorch is asked for in this
     * JVM; only {@link Engines} calls it.
     */
    static void verify() {
        Path dir = Utils.getEngineCacheDir();
        if (!dir.equals(verified)) {
            verify(dir);
            verified = dir;
        }
    }

    /** Refuses {@code dir} unless this user owns it and neither group nor others may write it. */
    public static void verify(Path dir) {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return;  // no POSIX owners or modes to check (Windows): the user profile is private there
        }
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir.getParent());
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                return;
            }
            String user = System.getProperty("user.name");
            String owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName();
            if (!owner.equals(user)) {
                throw new NativeCacheException("DJL's native cache " + dir + " belongs to " + owner + ", not to "
                        + user + " who would load libtorch from it; set DJL_CACHE_DIR to a directory of your own");
            }
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
            if (mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new NativeCacheException("DJL's native cache " + dir + " is writable by other users ("
                        + PosixFilePermissions.toString(mode) + "), who could plant libtorch there; chmod go-w it"
                        + " or set DJL_CACHE_DIR to a directory of your own");
            }
        } catch (IOException e) {
            throw new NativeCacheException("cannot check DJL's native cache " + dir + ": " + e, e);
        }
    }
}
