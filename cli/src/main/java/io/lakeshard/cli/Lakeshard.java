package io.lakeshard.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code lakeshard}: a node's HTTP API from a shell. Every command prints its data on stdout
 * (JSON lines where it is data) and any error as one line on stderr, and exits with a code of
 * {@link Exit}.
 */
@Command(name = "lakeshard", mixinStandardHelpOptions = true, versionProvider = Lakeshard.Version.class,
    description = "Talks to a Lakeshard node over its HTTP API.",
    subcommands = {CommandLine.HelpCommand.class, TokenCommand.class, PushCommand.class, PullCommand.class,
        StreamCommand.class, LiveStoreCommand.class, FlushCommand.class, ClusterCommand.class,
        BackendsCommand.class},
    footerHeading = "%nExit codes:%n",
    footer = {
        "  0  done",
        "  1  a bug in lakeshard itself",
        "  2  bad arguments or options, or unreadable input",
        "  3  refused by the server (4xx: bad token, forbidden, not found, invalid data)",
        "  4  server error (5xx) or no answer (no connection, timeout)",
        "%nEnvironment: LAKESHARD_URL (default http://127.0.0.1:8787), LAKESHARD_TOKEN, LAKESHARD_JWT_SECRET."})
public final class Lakeshard {
  private Lakeshard() {}

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with its error handling, writing to System.out and System.err. */
  public static CommandLine commandLine() {
    return commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true));
  }

  /** As {@link #commandLine()}, writing to {@code out} and {@code err} (for tests). */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine commandLine = new CommandLine(new Lakeshard());
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setParameterExceptionHandler((problem, args) -> {
      CommandLine failed = problem.getCommandLine();
      failed.getErr().println("lakeshard: " + problem.getMessage() + " (see '"
          + failed.getCommandSpec().qualifiedName() + " --help')");
      return Exit.USAGE;
    });
    commandLine.setExecutionExceptionHandler((problem, failed, parsed) -> {
      if (problem instanceof CliError error) {
        failed.getErr().println("lakeshard: " + error.getMessage());
        return error.exitCode();
      }
      failed.getErr().println("lakeshard: internal error: " + problem);
      return Exit.INTERNAL;
    });
    return commandLine;
  }

  /** The jar's version (its manifest's), else the build's. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Lakeshard.class.getPackage().getImplementationVersion();
      return new String[] {"lakeshard " + (version == null ? "(development build)" : version)};
    }
  }
}
