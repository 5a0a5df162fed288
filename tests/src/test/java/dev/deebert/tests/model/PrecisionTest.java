package dev.deebert.tests.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.deebert.model.Precision;
import org.junit.jupiter.api.Test;

/** {@code --precision}: named precisions run as named; {@code auto} picks by the device the model runs on. */
class PrecisionTest {

    @Test
    void namedPrecisionsAreTakenAsGivenOnAnyDevice() {
        for (Device device : new Device[] {Device.cpu(), Device.gpu()}) {
            assertEquals(Precision.FP32, Precision.parse(" FP32", device));
            assertEquals(Precision.BF16, Precision.parse("bf16", device));
        }
    }

    /** GPUs always take bf16; a CPU takes it only where oneDNN packs bf16 GEMMs (fp32 runs faster elsewhere). */
    @Test
    void autoIsBf16OnGpusAndTheFasterOneOnThisCpu() {
        assertEquals(Precision.BF16, Precision.parse("auto", Device.gpu()));
        Precision onCpu = Precision.parse("Auto", Device.cpu());
        assertEquals(Precision.fastestOn(Device.cpu()), onCpu);
        System.out.println("auto on this CPU: " + onCpu);
    }

    @Test
    void unknownNamesAreRefusedWithTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Precision.parse("fp16", Device.cpu()));
        assertTrue(e.getMessage().contains("unknown precision 'fp16' (expected fp32, bf16 or auto)"), e.getMessage());
    }
}
