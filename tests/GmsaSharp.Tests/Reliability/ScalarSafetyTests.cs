using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using GmsaSharp.Runtime;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Reliability;

/// <summary>
/// The library never lets TorchSharp make a Scalar that nothing holds (see HeldScalars): its IL calls no implicit
/// conversion to Scalar, no Tensor operator with a number operand, no add without an alpha, and no TorchSharp method
/// that makes such a Scalar inside (found by reading TorchSharp's own IL, four calls deep).
/// </summary>
public sealed class ScalarSafetyTests
{
    [Fact]
    public void TheLibraryMakesNoScalarThatNothingHolds()
    {
        HashSet<string> unsafeInTorchSharp = MethodsMakingImplicitScalars(typeof(Tensor).Assembly.Location);
        Assert.Contains("Tensor::square()", unsafeInTorchSharp);   // pow(2): the scan sees through TorchSharp
        Assert.Contains("Tensor::add(Tensor)", unsafeInTorchSharp);

        var offending = new List<string>();
        foreach ((string caller, string callee) in Calls(typeof(HeldScalars).Assembly.Location))
        {
            bool numberOperand = callee.StartsWith("Tensor::op_", StringComparison.Ordinal)
                && System.Text.RegularExpressions.Regex.IsMatch(callee, @"\((Tensor,)?(Int32|Int64|Single|Double|Boolean)(,Tensor)?\)");
            if (callee.StartsWith("Scalar::op_Implicit", StringComparison.Ordinal) || numberOperand || unsafeInTorchSharp.Contains(callee))
            {
                offending.Add($"{caller} -> {callee}");
            }
        }

        Assert.True(offending.Count == 0, "calls that make a Scalar nothing holds:\n" + string.Join("\n", offending.Distinct()));
    }

    private static HashSet<string> MethodsMakingImplicitScalars(string torchSharp)
    {
        var calls = Calls(torchSharp).GroupBy(c => c.Caller).ToDictionary(g => g.Key, g => g.Select(c => c.Callee).ToHashSet());
        var found = calls.Where(c => c.Value.Any(callee => callee.StartsWith("Scalar::op_Implicit", StringComparison.Ordinal))).Select(c => c.Key).ToHashSet();
        for (int depth = 0; depth < 4; depth++)
        {
            found.UnionWith(calls.Where(c => c.Value.Overlaps(found)).Select(c => c.Key).ToList());
        }
        return found;
    }

    // Every (method, called method) pair in an assembly's IL, as "Type::Name(parameter types)".
    private static List<(string Caller, string Callee)> Calls(string assembly)
    {
        using var stream = File.OpenRead(assembly);
        using var pe = new PEReader(stream);
        MetadataReader md = pe.GetMetadataReader();
        var result = new List<(string, string)>();
        foreach (MethodDefinitionHandle handle in md.MethodDefinitions)
        {
            MethodDefinition method = md.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0)
            {
                continue;
            }
            string caller = Name(md, handle);
            BlobReader il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILReader();
            while (il.RemainingBytes > 0)
            {
                int op = il.ReadByte();
                op = op == 0xFE ? 0xFE00 | il.ReadByte() : op;
                if (op is 0x28 or 0x6F or 0x73)   // call, callvirt, newobj
                {
                    result.Add((caller, Name(md, MetadataTokens.EntityHandle(il.ReadInt32()))));
                }
                else if (op == 0x45)   // switch
                {
                    il.Offset += 4 * il.ReadInt32();
                }
                else
                {
                    il.Offset += OperandSize(op);
                }
            }
        }
        return result;
    }

    private static string Name(MetadataReader md, EntityHandle handle)
    {
        var types = new TypeNames(md);
        switch (handle.Kind)
        {
            case HandleKind.MemberReference:
                MemberReference member = md.GetMemberReference((MemberReferenceHandle)handle);
                string parent = member.Parent.Kind switch
                {
                    HandleKind.TypeReference => md.GetString(md.GetTypeReference((TypeReferenceHandle)member.Parent).Name),
                    HandleKind.TypeDefinition => md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)member.Parent).Name),
                    _ => member.Parent.Kind.ToString(),
                };
                string parameters = member.GetKind() == MemberReferenceKind.Method
                    ? string.Join(",", member.DecodeMethodSignature(types, null).ParameterTypes) : "";
                return $"{parent}::{md.GetString(member.Name)}({parameters})";
            case HandleKind.MethodDefinition:
                MethodDefinition method = md.GetMethodDefinition((MethodDefinitionHandle)handle);
                return $"{md.GetString(md.GetTypeDefinition(method.GetDeclaringType()).Name)}::{md.GetString(method.Name)}({string.Join(",", method.DecodeSignature(types, null).ParameterTypes)})";
            case HandleKind.MethodSpecification:
                return Name(md, md.GetMethodSpecification((MethodSpecificationHandle)handle).Method);
            default:
                return handle.Kind.ToString();
        }
    }

    private static int OperandSize(int op) => op switch
    {
        0x0E or 0x0F or 0x10 or 0x11 or 0x12 or 0x13 or 0x1F or (>= 0x2B and <= 0x37) or 0xDE or 0xFE12 or 0xFE19 => 1,
        >= 0xFE09 and <= 0xFE0E => 2,
        0x20 or 0x22 or 0x28 or 0x29 or (>= 0x38 and <= 0x44) or 0x6F or (>= 0x70 and <= 0x75) or 0x79 or (>= 0x7B and <= 0x81)
            or 0x8C or 0x8D or 0x8F or (>= 0xA3 and <= 0xA5) or 0xC2 or 0xC6 or 0xD0 or 0xDD or 0xFE06 or 0xFE07 or 0xFE15 or 0xFE16 or 0xFE1C => 4,
        0x21 or 0x23 => 8,
        _ => 0,
    };

    // Parameter types by simple name: enough to tell overloads apart.
    private sealed class TypeNames(MetadataReader md) : ISignatureTypeProvider<string, object?>
    {
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => $"{genericType}<{string.Join(",", typeArguments)}>";
        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetPinnedType(string elementType) => elementType;
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => md.GetString(md.GetTypeDefinition(handle).Name);
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => md.GetString(md.GetTypeReference(handle).Name);
        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) => "spec";
    }
}
