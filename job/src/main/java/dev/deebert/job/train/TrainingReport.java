package dev.deebert.job.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.deebert.model.ModelDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** training_report.json: the run's inputs and every stage's figures. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingReport(@JsonProperty("backbone") String backbone, @JsonProperty("labels") List<String> labels,
                             @JsonProperty("positive_label") String positiveLabel,
                             @JsonProperty("train_rows") int trainRows, @JsonProperty("dev_rows") int devRows,
                             @JsonProperty("max_seq_len") int maxSeqLen, @JsonProperty("seed") long seed,
                             @JsonProperty("stages") List<StageReport> stages) {
    public static final String FILE = ModelDirectory.TRAINING_REPORT;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public void write(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    public static TrainingReport read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), TrainingReport.class);
    }
}
