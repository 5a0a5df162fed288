package dev.deebert.executor;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Queue;

/**
 * A partition's output, produced a window of input rows at a time as Spark pulls it, so a task holds one
 * window of results rather than the whole partition.
 */
public abstract class WindowedOutput<T> implements Iterator<T> {
    private final Queue<T> ready = new ArrayDeque<>();

    /** Adds the next results to {@code ready}; returns false once there is nothing more to add. */
    protected abstract boolean fill(Queue<T> ready);

    @Override
    public final boolean hasNext() {
        while (ready.isEmpty()) {
            if (!fill(ready)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public final T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return ready.remove();
    }
}
