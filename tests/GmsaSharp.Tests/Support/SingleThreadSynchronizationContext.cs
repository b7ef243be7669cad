using System.Collections.Concurrent;

namespace GmsaSharp.Tests.Support;

/// <summary>
/// A UI-like synchronization context: every continuation posted to it runs on the one thread that pumps it
/// (as in WinForms, WPF or MAUI), so code that blocks that thread while waiting for its own continuation
/// deadlocks here as it would there.
/// </summary>
public sealed class SingleThreadSynchronizationContext : SynchronizationContext
{
    // A guard so that a deadlock fails the test instead of hanging the run; no test asserts on speed.
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(3);

    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];
    private int _posted;

    /// <summary>How many continuations were posted to this context.</summary>
    public int Posted => Volatile.Read(ref _posted);

    /// <inheritdoc/>
    public override void Post(SendOrPostCallback d, object? state)
    {
        Interlocked.Increment(ref _posted);
        _queue.Add((d, state));
    }

    /// <inheritdoc/>
    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("A UI context is only posted to.");

    /// <summary>Runs <paramref name="work"/> on the calling thread with this context installed and pumps posted
    /// continuations on that thread until its task ends.</summary>
    public static T Run<T>(Func<Task<T>> work)
    {
        var context = new SingleThreadSynchronizationContext();
        SynchronizationContext? previous = Current;
        SetSynchronizationContext(context);
        try
        {
            Task<T> task = work();
            using var done = new CancellationTokenSource();
            task.ContinueWith(_ => done.Cancel(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            using var guard = new CancellationTokenSource(HangGuard);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(done.Token, guard.Token);
            try
            {
                while (true)
                {
                    (SendOrPostCallback callback, object? state) = context._queue.Take(either.Token);
                    callback(state);
                }
            }
            catch (OperationCanceledException) when (done.IsCancellationRequested || guard.IsCancellationRequested)
            {
            }
            Assert.True(task.IsCompleted, "the work never finished on a single-threaded synchronization context: a deadlock");
            return task.GetAwaiter().GetResult();
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    /// <summary>Starts <paramref name="work"/> on the calling thread with this context installed, then blocks that
    /// thread until the task ends without pumping: completes only if nothing needs the caller's thread.</summary>
    public static (T Result, int Posted) RunBlocking<T>(Func<Task<T>> work)
    {
        var context = new SingleThreadSynchronizationContext();
        SynchronizationContext? previous = Current;
        SetSynchronizationContext(context);
        try
        {
            Task<T> task = work();
            Assert.True(task.Wait(HangGuard), "blocking the caller's thread stopped the work: it needs that thread");
            return (task.Result, context.Posted);
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }
}
