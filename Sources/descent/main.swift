// The `descent` program: its commands live in the DescentCommands target, so that the fuzzing
// harness can parse command lines with the same definitions.
import DescentCommands

DescentCLI.main()
