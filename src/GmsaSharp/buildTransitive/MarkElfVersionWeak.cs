// Compiled twice: by MSBuild's RoslynCodeTaskFactory from GmsaSharp.targets at build time (so it must
// stay within netstandard2.0 and a single file), and into the test project, which tests it directly.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace GmsaSharp.Build
{
    /// <summary>What <see cref="ElfVersionReference.MarkWeak(byte[], string)"/> found and did.</summary>
    public enum ElfVersionPatchResult
    {
        /// <summary>The reference existed without VER_FLG_WEAK; the flag is now set.</summary>
        MarkedWeak,
        /// <summary>The reference was already weak; nothing changed.</summary>
        AlreadyWeak,
        /// <summary>The file does not require that version; nothing changed.</summary>
        NotReferenced,
        /// <summary>Not a little-endian ELF64 file (another platform's library); nothing changed.</summary>
        NotElf64,
    }

    /// <summary>
    /// Marks one symbol-version requirement of an ELF shared library as weak.
    /// TorchSharp 0.107.0's libLibTorchSharp.so lists GLIBCXX_3.4.32 (GCC 13's libstdc++) among its
    /// version needs only because of the marker symbol _ZSt21ios_base_library_initv, which no
    /// relocation uses. glibc's loader refuses a library whose non-weak version need is missing, so on
    /// Debian 12 or Ubuntu 22.04 (libstdc++ up to 3.4.30) TorchSharp cannot start. A weak need that the
    /// host lacks is tolerated; one that the host has is bound exactly as before.
    /// </summary>
    public static class ElfVersionReference
    {
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlagWeak = 0x2;

        /// <summary>Patches <paramref name="path"/> on disk when needed. The file is replaced, never
        /// written in place, so a hard link into a package cache is never modified.</summary>
        public static ElfVersionPatchResult MarkWeak(string path, string versionName)
        {
            byte[] image = File.ReadAllBytes(path);
            ElfVersionPatchResult result;
            try
            {
                result = MarkWeak(image, versionName);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException("'" + path + "': " + e.Message, e);
            }
            if (result == ElfVersionPatchResult.MarkedWeak)
            {
                string temporary = path + ".gmsasharp-tmp";
                File.WriteAllBytes(temporary, image);
                File.Copy(temporary, path, true);
                File.Delete(temporary);
            }
            return result;
        }

        /// <summary>Sets VER_FLG_WEAK on the Elf64_Vernaux entry named <paramref name="versionName"/>
        /// in the image's .gnu.version_r section. Changes at most those two bytes.</summary>
        public static ElfVersionPatchResult MarkWeak(byte[] image, string versionName)
        {
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F'
                || image[4] != 2 /* ELFCLASS64 */ || image[5] != 1 /* ELFDATA2LSB */)
            {
                return ElfVersionPatchResult.NotElf64;
            }

            long sectionTable = (long)ReadUInt64(image, 0x28);
            int sectionEntrySize = ReadUInt16(image, 0x3A);
            int sectionCount = ReadUInt16(image, 0x3C);
            for (int i = 0; i < sectionCount; i++)
            {
                long header = sectionTable + (long)i * sectionEntrySize;
                if (ReadUInt32(image, header + 4) != ShtGnuVerneed)
                {
                    continue;
                }
                long needs = (long)ReadUInt64(image, header + 24);
                uint needCount = ReadUInt32(image, header + 44);
                uint stringSection = ReadUInt32(image, header + 40);
                if (stringSection >= sectionCount)
                {
                    throw new InvalidDataException(".gnu.version_r links to string section " + stringSection + " of " + sectionCount + ".");
                }
                long strings = (long)ReadUInt64(image, sectionTable + (long)stringSection * sectionEntrySize + 24);
                return MarkWeakInNeeds(image, needs, needCount, strings, versionName);
            }
            return ElfVersionPatchResult.NotReferenced;
        }

        private static ElfVersionPatchResult MarkWeakInNeeds(byte[] image, long need, uint needCount, long strings, string versionName)
        {
            for (uint n = 0; n < needCount; n++)
            {
                // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
                int auxCount = ReadUInt16(image, need + 2);
                long aux = need + ReadUInt32(image, need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
                    if (ReadString(image, strings + ReadUInt32(image, aux + 8)) == versionName)
                    {
                        ushort flags = ReadUInt16(image, aux + 4);
                        if ((flags & VerFlagWeak) != 0)
                        {
                            return ElfVersionPatchResult.AlreadyWeak;
                        }
                        flags |= VerFlagWeak;
                        image[aux + 4] = (byte)(flags & 0xff);
                        image[aux + 5] = (byte)(flags >> 8);
                        return ElfVersionPatchResult.MarkedWeak;
                    }
                    aux += ReadUInt32(image, aux + 12);
                }
                need += ReadUInt32(image, need + 12);
            }
            return ElfVersionPatchResult.NotReferenced;
        }

        private static void CheckRange(byte[] image, long offset, int length)
        {
            if (offset < 0 || offset + length > image.Length)
            {
                throw new InvalidDataException("ELF structure at offset " + offset + " runs past the end of the file (" + image.Length + " bytes); the file is truncated or corrupt.");
            }
        }

        private static ushort ReadUInt16(byte[] image, long offset)
        {
            CheckRange(image, offset, 2);
            return (ushort)(image[offset] | image[offset + 1] << 8);
        }

        private static uint ReadUInt32(byte[] image, long offset)
        {
            CheckRange(image, offset, 4);
            return (uint)(image[offset] | image[offset + 1] << 8 | image[offset + 2] << 16 | image[offset + 3] << 24);
        }

        private static ulong ReadUInt64(byte[] image, long offset)
        {
            return ReadUInt32(image, offset) | (ulong)ReadUInt32(image, offset + 4) << 32;
        }

        private static string ReadString(byte[] image, long offset)
        {
            CheckRange(image, offset, 1);
            long end = offset;
            while (end < image.Length && image[end] != 0)
            {
                end++;
            }
            return Encoding.ASCII.GetString(image, (int)offset, (int)(end - offset));
        }
    }

    /// <summary>MSBuild task: marks <see cref="VersionName"/> weak in every file of <see cref="Files"/>.</summary>
    public sealed class MarkElfVersionWeak : Microsoft.Build.Utilities.Task
    {
        [Required]
        public ITaskItem[] Files { get; set; } = new ITaskItem[0];

        [Required]
        public string VersionName { get; set; } = "";

        public override bool Execute()
        {
            foreach (ITaskItem file in Files)
            {
                string path = file.GetMetadata("FullPath");
                try
                {
                    ElfVersionPatchResult result = ElfVersionReference.MarkWeak(path, VersionName);
                    Log.LogMessage(MessageImportance.Low, "GmsaSharp native compatibility: " + VersionName + " in '" + path + "': " + result + ".");
                }
                catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
                {
                    Log.LogError("GmsaSharp native compatibility: could not mark " + VersionName + " weak in '" + path + "': " + e.Message);
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
}
