namespace GmsaSharp.Models;

/// <summary>
/// Background threads that run the parts of one decoding loop (<see cref="SingleRowLinear"/>,
/// <see cref="SingleQueryAttention"/>) beside the calling thread. A decoding step makes about a hundred such calls of
/// a fraction of a millisecond each; the .NET thread pool's threads go to sleep between them, and waking one costs a
/// context switch each time (perf: ~10% of a two-thread step in the kernel's task switch). These workers spin for a
/// short while after each part, so the next call of the same step finds them awake, then sleep until there is work
/// again (benchmarks/RESULTS.md, issue 22).
/// </summary>
/// <remarks>One call at a time uses the workers; a call that finds them busy (another thread decoding) runs all its
/// parts itself, so concurrent callers never wait on each other.</remarks>
internal static class DecodeWorkers
{
    // How long a worker spins for the next part before it sleeps: longer than the gap between two loops of one decoding
    // step, short enough that a finished generation leaves no core busy.
    private static readonly TimeSpan SpinTime = TimeSpan.FromMicroseconds(200);

    private static readonly Lock Gate = new();
    private static readonly object Sleep = new();
    private static readonly List<Thread> Workers = [];
    private static Action<int>? _part;
    private static int _parts;
    private static long _generation;
    private static int _pending;
    private static Exception? _failure;

    /// <summary>Runs <paramref name="part"/>(0) .. <paramref name="part"/>(<paramref name="parts"/> - 1), part 0 on the
    /// calling thread, and returns when all have finished. An exception in any part is rethrown here.</summary>
    public static void Run(int parts, Action<int> part)
    {
        if (parts <= 1 || !Gate.TryEnter())
        {
            for (int i = 0; i < parts; i++)
            {
                part(i);
            }
            return;
        }
        try
        {
            EnsureWorkers(parts - 1);
            _failure = null;
            _part = part;
            _parts = parts;
            // Every worker answers every call, those without a part too: so none is still looking at this call's
            // fields when the next call writes them.
            Volatile.Write(ref _pending, Workers.Count);
            Interlocked.Increment(ref _generation);
            lock (Sleep)
            {
                Monitor.PulseAll(Sleep);
            }
            try
            {
                part(0);
            }
            catch (Exception exception)
            {
                // Wait for the workers all the same: they are still reading this call's fields.
                Interlocked.CompareExchange(ref _failure, exception, null);
            }
            var wait = new SpinWait();
            while (Volatile.Read(ref _pending) > 0)
            {
                wait.SpinOnce(sleep1Threshold: -1);
            }
            _part = null;
            if (_failure is { } failure)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }
        }
        finally
        {
            Gate.Exit();
        }
    }

    // Called before the call is published: a new worker starts from the generation before it, so it answers this call
    // however late its thread begins to run.
    private static void EnsureWorkers(int count)
    {
        long current = Volatile.Read(ref _generation);
        while (Workers.Count < count)
        {
            int index = Workers.Count + 1;
            var thread = new Thread(() => Work(index, current)) { IsBackground = true, Name = $"GmsaSharp decode worker {index}" };
            Workers.Add(thread);
            thread.Start();
        }
    }

    // Worker `index` runs part `index` of every call that has more parts than that, and answers every call.
    private static void Work(int index, long seen)
    {
        while (true)
        {
            seen = NextGeneration(seen);
            try
            {
                if (index < _parts)
                {
                    _part!(index);
                }
            }
            catch (Exception exception)
            {
                Interlocked.CompareExchange(ref _failure, exception, null);
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        }
    }

    // Spins for SpinTime, then sleeps, until a call newer than `seen` is published; returns its generation.
    private static long NextGeneration(long seen)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var wait = new SpinWait();
        while (System.Diagnostics.Stopwatch.GetElapsedTime(started) < SpinTime)
        {
            long now = Volatile.Read(ref _generation);
            if (now != seen)
            {
                return now;
            }
            wait.SpinOnce(sleep1Threshold: -1);
        }
        lock (Sleep)
        {
            while (Volatile.Read(ref _generation) == seen)
            {
                Monitor.Wait(Sleep);
            }
            return Volatile.Read(ref _generation);
        }
    }
}
