package dev.deebert.model;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/**
 * How {@link ModelDirectory#write} replaces a model with no moment of no model or half a model. A directory
 * cannot be renamed over one that holds files, but a symbolic link can be renamed over another in one step
 * (rename(2): atomic on local file systems and NFS). So the name a writer is given, {@code models/m}, is a
 * relative link to a plain model directory {@code models/.m.versions/<version>}, which any tool reads through
 * the link. The next version is written and checked beside it, then a new link is renamed over the old one.
 * Readers resolve the link once ({@link ModelDirectory#open}) and read one version. A version replaced stays
 * for {@link #KEPT} after it was replaced (its modification time says when), so that readers that resolved it
 * just before finish reading it; the next replace after that deletes it.
 *
 * <p>A plain directory at the name (written before versions existed, or copied there) becomes the replaced
 * version by a rename just before the link takes its place: that first replace has the one moment, between two
 * renames, when the name is missing. Writers of one model must not overlap.
 */
final class ModelVersions {
    /** Versions sort by when they were published (UTC), which is what someone rolling back looks for. */
    private static final DateTimeFormatter PUBLISHED =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS").withZone(ZoneOffset.UTC);
    /** Versions being written, not yet published. */
    private static final String DRAFT = "tmp-";
    /**
     * How long a replaced version stays. Readers open the files of the version they resolved within seconds (an
     * executor loading a model, a driver checking one), even on a loaded machine; minutes are ample.
     */
    private static final Duration KEPT = Duration.ofMinutes(10);

    private ModelVersions() {}

    /** A new empty directory to write the next version of {@code dir} into. */
    static Path draft(Path dir) throws IOException {
        Path versions = versions(dir);
        if (!Files.isDirectory(versions)) {
            Files.createDirectories(versions);
            readableByAll(versions);
        }
        Path draft = Files.createTempDirectory(versions, DRAFT);
        readableByAll(draft);
        return draft;
    }

    /** Removes a draft that will not be published, and the versions directory if it held nothing else. */
    static void discard(Path draft) throws IOException {
        ModelDirectory.deleteRecursively(draft);
        try {
            Files.deleteIfExists(draft.getParent());
        } catch (DirectoryNotEmptyException e) {
            // the model's other versions
        }
    }

    /** Makes {@code dir} name the complete version in {@code draft}, in place of what it named before. */
    static void publish(Path draft, Path dir) throws IOException {
        Path name = dir.toAbsolutePath().normalize();
        Path versions = draft.getParent();
        String version = newVersion();
        Files.move(draft, versions.resolve(version), StandardCopyOption.ATOMIC_MOVE);
        Path replaced = null;
        if (Files.isSymbolicLink(name)) {
            Path target = name.resolveSibling(Files.readSymbolicLink(name)).normalize();
            replaced = versions.equals(target.getParent()) ? target : null;
        } else if (Files.isDirectory(name)) {
            replaced = versions.resolve(newVersion());
            Files.move(name, replaced, StandardCopyOption.ATOMIC_MOVE);
        }
        Path link = Files.createSymbolicLink(name.resolveSibling("." + name.getFileName() + ".link-" + version),
                Path.of(versions.getFileName().toString(), version));
        Files.move(link, name, StandardCopyOption.ATOMIC_MOVE);
        removeOld(versions, version, replaced);
    }

    /**
     * Dates the version just replaced, then deletes the versions replaced more than {@link #KEPT} ago, and the
     * drafts of writers that stopped as long ago.
     */
    private static void removeOld(Path versions, String current, Path replaced) {
        Instant now = Instant.now();
        try {
            if (replaced != null) {
                Files.setLastModifiedTime(replaced, FileTime.from(now));
            }
            try (Stream<Path> entries = Files.list(versions)) {
                for (Path old : entries.filter(p -> !p.getFileName().toString().equals(current)).toList()) {
                    if (Files.getLastModifiedTime(old).toInstant().isBefore(now.minus(KEPT))) {
                        ModelDirectory.deleteRecursively(old);
                    }
                }
            }
        } catch (IOException e) {
            // The new version is in place; an old one left behind costs disk only.
            LoggerFactory.getLogger(ModelVersions.class).warn("cannot remove old model versions in {}: {}",
                    versions, e.toString());
        }
    }

    private static Path versions(Path dir) {
        Path name = dir.toAbsolutePath().normalize();
        return name.resolveSibling("." + name.getFileName() + ".versions");
    }

    private static String newVersion() {
        return PUBLISHED.format(Instant.now()) + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
    }

    /** Temp directories are private (rwx------); executors running as other users must read the model. */
    private static void readableByAll(Path dir) throws IOException {
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
