import type { Command } from 'commander';
import { defineCommand, UsageError } from './core/index.ts';

interface Node {
  path: string;
  subcommands: string[];
  flags: string[];
}

function walk(cmd: Command, path: string[], out: Node[]): void {
  const key = path.join(' ');
  out.push({
    path: key,
    subcommands: cmd.commands.flatMap((c) => [c.name(), ...c.aliases()]).filter((n) => n !== 'help'),
    flags: cmd.options
      .flatMap((o) => [o.long, o.short].filter((x): x is string => Boolean(x)))
      .concat('--help'),
  });
  for (const c of cmd.commands) walk(c, [...path, c.name()], out);
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function bashScript(nodes: Node[]): string {
  const tree = nodes.map((n) => `  [${q(n.path)}]=${q(n.subcommands.join(' '))}`).join('\n');
  const flags = nodes.map((n) => `  [${q(n.path)}]=${q(n.flags.join(' '))}`).join('\n');
  return `# bash completion for tarmac; load with: source <(tarmac completion bash)
declare -gA _tarmac_tree=(
${tree}
)
declare -gA _tarmac_flags=(
${flags}
)
_tarmac_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    local next="\${path:+$path }$w"
    [[ -n "\${_tarmac_tree[$next]+x}" ]] && path="$next"
  done
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "\${_tarmac_flags[$path]}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "\${_tarmac_tree[$path]}" -- "$cur"))
  fi
}
complete -o default -F _tarmac_complete tarmac
`;
}

export function zshScript(nodes: Node[]): string {
  const tree = nodes.map((n) => `  ${q(n.path)} ${q(n.subcommands.join(' '))}`).join('\n');
  const flags = nodes.map((n) => `  ${q(n.path)} ${q(n.flags.join(' '))}`).join('\n');
  return `#compdef tarmac
# zsh completion for tarmac; load with: source <(tarmac completion zsh)
typeset -gA _tarmac_tree _tarmac_flags
_tarmac_tree=(
${tree}
)
_tarmac_flags=(
${flags}
)
_tarmac() {
  local path="" w next i
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    [[ "$w" == -* ]] && continue
    next="\${path:+$path }$w"
    (( \${+_tarmac_tree[$next]} )) && path="$next"
  done
  if [[ "\${words[CURRENT]}" == -* ]]; then
    compadd -- \${=_tarmac_flags[$path]}
  else
    compadd -- \${=_tarmac_tree[$path]}
  fi
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then _tarmac "$@"; else compdef _tarmac tarmac; fi
`;
}

/** `tarmac completion bash|zsh`: a script generated from the whole command tree. */
export function register(group: Command): void {
  group.description('Print a shell completion script for bash or zsh.');
  for (const shell of ['bash', 'zsh'] as const) {
    defineCommand(group, {
      name: shell,
      summary: `Print the ${shell} completion script`,
      examples:
        shell === 'bash'
          ? ['source <(tarmac completion bash)', "echo 'source <(tarmac completion bash)' >> ~/.bashrc"]
          : ['source <(tarmac completion zsh)', 'tarmac completion zsh > "${fpath[1]}/_tarmac"'],
      run: async (ctx) => {
        let root: Command = group;
        while (root.parent) root = root.parent;
        const nodes: Node[] = [];
        walk(root, [], nodes);
        if (!nodes.length) throw new UsageError('no commands');
        ctx.io.stdout.write(shell === 'bash' ? bashScript(nodes) : zshScript(nodes));
      },
    });
  }
}
