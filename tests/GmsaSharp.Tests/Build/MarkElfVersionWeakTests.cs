using System.Collections;
using System.Runtime.InteropServices;
using GmsaSharp.Build;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace GmsaSharp.Tests.Build;

/// <summary>The build step that makes libLibTorchSharp.so loadable on hosts with an older libstdc++.</summary>
public sealed class MarkElfVersionWeakTests : IDisposable
{
    // zlib is part of every Debian system (dpkg needs it) and needs glibc versions this host has.
    private static readonly string HostLibrary = new[] { "/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib64/libz.so.1" }
        .FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("These tests need the system zlib (libz.so.1); none was found.");

    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-elf-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void MarksOnlyTheNamedReferenceWeak()
    {
        byte[] original = File.ReadAllBytes(HostLibrary);
        byte[] image = (byte[])original.Clone();

        ElfVersionPatchResult result = ElfVersionReference.MarkWeak(image, "GLIBC_2.14");

        Assert.Equal(ElfVersionPatchResult.MarkedWeak, result);
        int[] changed = Enumerable.Range(0, image.Length).Where(i => image[i] != original[i]).ToArray();
        int offset = Assert.Single(changed);
        Assert.Equal(original[offset] | 0x2, image[offset]);
    }

    [Fact]
    public void IsIdempotent()
    {
        byte[] image = File.ReadAllBytes(HostLibrary);
        ElfVersionReference.MarkWeak(image, "GLIBC_2.14");
        byte[] once = (byte[])image.Clone();

        ElfVersionPatchResult again = ElfVersionReference.MarkWeak(image, "GLIBC_2.14");

        Assert.Equal(ElfVersionPatchResult.AlreadyWeak, again);
        Assert.Equal(once, image);
    }

    [Fact]
    public void LeavesALibraryWithoutThatReferenceUntouched()
    {
        byte[] original = File.ReadAllBytes(HostLibrary);
        byte[] image = (byte[])original.Clone();

        Assert.Equal(ElfVersionPatchResult.NotReferenced, ElfVersionReference.MarkWeak(image, "GLIBCXX_3.4.32"));
        Assert.Equal(original, image);
    }

    [Fact]
    public void LeavesNonElfFilesUntouched()
    {
        byte[] text = "MZ this is not an ELF shared library, it is long enough to have a header though......"u8.ToArray();
        byte[] copy = (byte[])text.Clone();

        Assert.Equal(ElfVersionPatchResult.NotElf64, ElfVersionReference.MarkWeak(copy, "GLIBCXX_3.4.32"));
        Assert.Equal(text, copy);
    }

    [Fact]
    public void TruncatedElfIsReportedAsCorruptWithItsPath()
    {
        string path = Path.Combine(_directory, "truncated.so");
        File.WriteAllBytes(path, File.ReadAllBytes(HostLibrary)[..100]);

        var error = Assert.Throws<InvalidDataException>(() => ElfVersionReference.MarkWeak(path, "GLIBC_2.14"));

        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void AWeakReferenceToAVersionTheHostHasBindsAsBefore()
    {
        string patched = Path.Combine(_directory, "libz-weak.so.1");
        File.Copy(HostLibrary, patched);
        Assert.Equal(ElfVersionPatchResult.MarkedWeak, ElfVersionReference.MarkWeak(patched, "GLIBC_2.14"));

        Assert.Equal(ZlibVersion(HostLibrary), ZlibVersion(patched));
        Assert.Equal(Crc32Of(HostLibrary, "GmsaSharp"u8.ToArray()), Crc32Of(patched, "GmsaSharp"u8.ToArray()));
    }

    [Fact]
    public void TheBuildMarkedTheCopyOfLibTorchSharpInThisOutput()
    {
        string[] copies = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories);

        Assert.NotEmpty(copies);
        foreach (string copy in copies)
        {
            Assert.Equal(ElfVersionPatchResult.AlreadyWeak, ElfVersionReference.MarkWeak(File.ReadAllBytes(copy), "GLIBCXX_3.4.32"));
        }
    }

    [Fact]
    public void TheMsBuildTaskPatchesOnceAndThenLeavesTheFileAlone()
    {
        string path = Path.Combine(_directory, "libz.so.1");
        File.Copy(HostLibrary, path);
        var engine = new RecordingBuildEngine();
        var task = new MarkElfVersionWeak { BuildEngine = engine, Files = [new TaskItem(path)], VersionName = "GLIBC_2.14" };

        Assert.True(task.Execute());
        byte[] afterFirst = File.ReadAllBytes(path);
        DateTime writtenAt = File.GetLastWriteTimeUtc(path);
        Assert.True(task.Execute());

        Assert.Equal(afterFirst, File.ReadAllBytes(path));
        Assert.Equal(writtenAt, File.GetLastWriteTimeUtc(path));
        Assert.Contains(engine.Messages, m => m.Contains("MarkedWeak"));
        Assert.Contains(engine.Messages, m => m.Contains("AlreadyWeak"));
        Assert.Empty(engine.Errors);
    }

    [Fact]
    public void TheMsBuildTaskFailsTheBuildOnACorruptLibrary()
    {
        string path = Path.Combine(_directory, "libLibTorchSharp.so");
        File.WriteAllBytes(path, File.ReadAllBytes(HostLibrary)[..100]);
        var engine = new RecordingBuildEngine();
        var task = new MarkElfVersionWeak { BuildEngine = engine, Files = [new TaskItem(path)], VersionName = "GLIBCXX_3.4.32" };

        Assert.False(task.Execute());
        Assert.Contains(engine.Errors, e => e.Contains(path));
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr ZlibVersionFunction();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate nuint Crc32Function(nuint crc, byte[] buffer, uint length);

    private static string ZlibVersion(string library)
    {
        IntPtr handle = NativeLibrary.Load(library);
        var function = Marshal.GetDelegateForFunctionPointer<ZlibVersionFunction>(NativeLibrary.GetExport(handle, "zlibVersion"));
        return Marshal.PtrToStringAnsi(function())!;
    }

    private static nuint Crc32Of(string library, byte[] data)
    {
        IntPtr handle = NativeLibrary.Load(library);
        var function = Marshal.GetDelegateForFunctionPointer<Crc32Function>(NativeLibrary.GetExport(handle, "crc32"));
        return function(0, data, (uint)data.Length);
    }

    private sealed class RecordingBuildEngine : IBuildEngine
    {
        public List<string> Messages { get; } = [];
        public List<string> Errors { get; } = [];
        public bool ContinueOnError => false;
        public int LineNumberOfTaskNode => 0;
        public int ColumnNumberOfTaskNode => 0;
        public string ProjectFileOfTaskNode => "test";
        public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => true;
        public void LogCustomEvent(CustomBuildEventArgs e) { }
        public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e.Message ?? "");
        public void LogMessageEvent(BuildMessageEventArgs e) => Messages.Add(e.Message ?? "");
        public void LogWarningEvent(BuildWarningEventArgs e) => Messages.Add(e.Message ?? "");
    }
}
