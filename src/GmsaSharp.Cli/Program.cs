using System.CommandLine;
using GmsaSharp.Cli;

var root = new RootCommand("gmsa: long-context compression for LLaMA-family models (GMSA) on TorchSharp.")
{
    InfoCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
