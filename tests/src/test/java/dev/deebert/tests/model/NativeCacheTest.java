package dev.deebert.tests.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.deebert.model.NativeCache;
import dev.deebert.model.NativeCacheException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DJL loads libtorch from its cache directory: only a directory of this user's own, writable by no other, is
 * used. A refusal is a {@link NativeCacheException}, which commands report in one line (MainExitCodeTest runs
 * one against such a cache).
 */
class NativeCacheTest {
    @TempDir
    Path tmp;

    @Test
    void aMissingDirectoryIsCreatedPrivate() throws IOException {
        Path dir = tmp.resolve("home/.djl.ai");
        NativeCache.verify(dir);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        NativeCache.verify(dir);
    }

    @Test
    void aDirectoryOthersMayWriteIsRefused() throws IOException {
        Path shared = Files.createDirectory(tmp.resolve("djl-cache"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        NativeCacheException e = assertThrows(NativeCacheException.class, () -> NativeCache.verify(shared));
        assertTrue(e.getMessage().contains("is writable by other users (rwxrwxrwx)"), e.getMessage());
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
        NativeCache.verify(shared);
    }

    @Test
    void anotherUsersDirectoryIsRefused() throws IOException {
        Path theirs = Files.createDirectory(tmp.resolve("theirs"));
        UserPrincipal nobody = theirs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        try {
            Files.setOwner(theirs, nobody);
        } catch (IOException e) {
            assumeTrue(false, "only root can give a directory away: " + e);
        }
        NativeCacheException e = assertThrows(NativeCacheException.class, () -> NativeCache.verify(theirs));
        assertTrue(e.getMessage().contains("belongs to nobody, not to " + System.getProperty("user.name")),
                e.getMessage());
    }
}
