using System.Reflection;
using System.Reflection.Emit;

namespace GmsaSharp.Tests.Architecture;

/// <summary>
/// Which namespaces of an assembly use which others: every type's signatures (base type, interfaces, fields,
/// properties, method parameters and return types, generic arguments) and the types, methods and fields its
/// method bodies name in their IL. Compiler-generated types (lambdas, iterators, async state machines) are
/// nested in the type that wrote them, so they count for its namespace.
/// </summary>
internal sealed class NamespaceGraph
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    // Every opcode by its value, to walk IL and find the operands that are metadata tokens.
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(code => code.Value);

    public NamespaceGraph(IReadOnlyDictionary<string, IReadOnlySet<string>> edges) => Edges = edges;

    /// <summary>For each namespace, the other namespaces of the same assembly that it uses.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Edges { get; }

    /// <summary>The graph of the namespaces under <paramref name="root"/> in <paramref name="assembly"/>.</summary>
    public static NamespaceGraph Of(Assembly assembly, string root)
    {
        var edges = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (Type type in assembly.GetTypes())
        {
            string? from = type.Namespace;
            if (from is null || !from.StartsWith(root + ".", StringComparison.Ordinal))
            {
                continue;
            }
            HashSet<string> targets = edges.TryGetValue(from, out var known) ? known : edges[from] = [];
            foreach (Type used in UsedTypes(type))
            {
                if (used.Assembly == assembly && used.Namespace is { } to && to != from && to.StartsWith(root + ".", StringComparison.Ordinal))
                {
                    targets.Add(to);
                }
            }
        }
        return new NamespaceGraph(edges.ToDictionary(e => e.Key, e => (IReadOnlySet<string>)e.Value, StringComparer.Ordinal));
    }

    /// <summary>A cycle as the namespaces along it (the first repeated at the end), or null when there is none.</summary>
    public IReadOnlyList<string>? FindCycle()
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string>();
        foreach (string start in Edges.Keys.Order(StringComparer.Ordinal))
        {
            if (Visit(start, done, path) is { } cycle)
            {
                return cycle;
            }
        }
        return null;
    }

    private List<string>? Visit(string node, HashSet<string> done, List<string> path)
    {
        int seen = path.IndexOf(node);
        if (seen >= 0)
        {
            return [.. path.Skip(seen), node];
        }
        if (done.Contains(node))
        {
            return null;
        }
        path.Add(node);
        foreach (string next in Edges.GetValueOrDefault(node, new HashSet<string>()).Order(StringComparer.Ordinal))
        {
            if (Visit(next, done, path) is { } cycle)
            {
                return cycle;
            }
        }
        path.RemoveAt(path.Count - 1);
        done.Add(node);
        return null;
    }

    private static IEnumerable<Type> UsedTypes(Type type)
    {
        var used = new List<Type>();
        if (type.BaseType is { } baseType)
        {
            used.Add(baseType);
        }
        used.AddRange(type.GetInterfaces());
        used.AddRange(type.GetFields(Declared).Select(f => f.FieldType));
        used.AddRange(type.GetProperties(Declared).Select(p => p.PropertyType));
        foreach (MethodBase method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            used.AddRange(method.GetParameters().Select(p => p.ParameterType));
            if (method is MethodInfo info)
            {
                used.Add(info.ReturnType);
            }
            used.AddRange(BodyTypes(method));
        }
        return used.SelectMany(Expand);
    }

    // A type with its element type (arrays, by-ref) and generic arguments, recursively.
    private static IEnumerable<Type> Expand(Type type)
    {
        yield return type;
        if (type.HasElementType)
        {
            foreach (Type inner in Expand(type.GetElementType()!))
            {
                yield return inner;
            }
        }
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            foreach (Type inner in type.GetGenericArguments().SelectMany(Expand))
            {
                yield return inner;
            }
        }
    }

    // The types that the method body's IL names: in type operands, and as the owners of called methods and accessed fields.
    private static IEnumerable<Type> BodyTypes(MethodBase method)
    {
        byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            return [];
        }
        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } owner ? owner.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var types = new List<Type>();
        int position = 0;
        while (position < il.Length)
        {
            short value = il[position] == 0xFE ? (short)(0xFE00 | il[position + 1]) : il[position];
            position += il[position] == 0xFE ? 2 : 1;
            OpCode code = OpCodesByValue[value];
            int token = code.OperandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok
                ? BitConverter.ToInt32(il, position)
                : 0;
            if (token != 0)
            {
                MemberInfo? member = method.Module.ResolveMember(token, typeArguments, methodArguments);
                if (member is Type named)
                {
                    types.Add(named);
                }
                else if (member?.DeclaringType is { } declaring)
                {
                    types.Add(declaring);
                    if (member is MethodInfo { IsGenericMethod: true } generic)
                    {
                        types.AddRange(generic.GetGenericArguments());
                    }
                }
            }
            position += OperandSize(code, il, position);
        }
        return types;
    }

    private static int OperandSize(OpCode code, byte[] il, int position) => code.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, position),
        _ => 4,
    };
}
