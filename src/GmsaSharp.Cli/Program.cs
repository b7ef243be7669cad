using GmsaSharp.Cli;

return await GmsaCli.Create().Parse(args).InvokeAsync();
