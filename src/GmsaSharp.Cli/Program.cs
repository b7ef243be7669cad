using GmsaSharp.Cli;

return await GmsaCli.RunAsync(args);
