package io.lakeshard.core.checkpoint;

/**
 * The port a gateway writes its checkpoints through. Blocking (object-store and catalogue I/O):
 * the gateway runs it on the lake dispatcher and gets the result as a message.
 */
@FunctionalInterface
public interface CheckpointWriter {

  /** Writes the checkpoint of {@code source} (or finds it written) and returns its manifest. */
  CheckpointManifest write(CheckpointSource source) throws Exception;
}
