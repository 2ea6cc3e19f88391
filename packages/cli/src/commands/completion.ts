import type { Command } from "commander";
import type { Deps, Run } from "../deps.js";
import { CliError, EXIT } from "../errors.js";
import { act, examples } from "./shared.js";

/** Every "noun verb" pair and the nouns' flags, read from the command tree itself. */
function tree(program: Command): { nouns: string[]; verbs: Record<string, string[]>; flags: string[] } {
  const verbs: Record<string, string[]> = {};
  for (const noun of program.commands) verbs[noun.name()] = noun.commands.map((c) => c.name());
  const flags = program.options.map((o) => o.long).filter((f): f is string => Boolean(f));
  return { nouns: Object.keys(verbs), verbs, flags };
}

export function completionScript(shell: string, program: Command): string {
  const { nouns, verbs, flags } = tree(program);
  const cases = (fmt: (noun: string, list: string) => string) =>
    nouns.filter((n) => (verbs[n] ?? []).length > 0).map((n) => fmt(n, (verbs[n] ?? []).join(" "))).join("\n");
  switch (shell) {
    case "bash":
      return `# ticketctl completion for bash: eval "$(ticketctl completion bash)"
_ticketctl() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${nouns.join(" ")} ${flags.join(" ")}" -- "$cur"))
    return
  fi
  case \${COMP_WORDS[1]} in
${cases((n, list) => `    ${n}) [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W "${list}" -- "$cur")) ;;`)}
  esac
}
complete -F _ticketctl ticketctl
`;
    case "zsh":
      return `#compdef ticketctl
# ticketctl completion for zsh: ticketctl completion zsh > "\${fpath[1]}/_ticketctl"
_ticketctl() {
  if (( CURRENT == 2 )); then
    compadd -- ${nouns.join(" ")} ${flags.join(" ")}
    return
  fi
  case $words[2] in
${cases((n, list) => `    ${n}) (( CURRENT == 3 )) && compadd -- ${list} ;;`)}
  esac
}
compdef _ticketctl ticketctl
`;
    case "fish":
      return `# ticketctl completion for fish: ticketctl completion fish > ~/.config/fish/completions/ticketctl.fish
complete -c ticketctl -f
complete -c ticketctl -n "__fish_use_subcommand" -a "${nouns.join(" ")}"
${nouns
  .filter((n) => (verbs[n] ?? []).length > 0)
  .map((n) => `complete -c ticketctl -n "__fish_seen_subcommand_from ${n}" -a "${(verbs[n] ?? []).join(" ")}"`)
  .join("\n")}
`;
    default:
      throw new CliError(`no completion for "${shell}"; use bash, zsh or fish`, EXIT.usage);
  }
}

export function register(program: Command, deps: Deps): void {
  program
    .command("completion")
    .description("Print a shell completion script")
    .argument("<shell>", "bash, zsh or fish")
    .addHelpText("after", examples('eval "$(ticketctl completion bash)"', "ticketctl completion fish > ~/.config/fish/completions/ticketctl.fish"))
    .action(
      act(deps, async (r: Run, shell: string) => {
        r.deps.stdout.write(completionScript(shell, program));
      }),
    );
}
