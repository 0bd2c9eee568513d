# bash completion for kompass: commands, subcommands, options and the
# evaluations you can see. The candidates come from kompass itself
# (`kompass __complete`, made from its help texts), so they never fall behind.
_kompass() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" __complete "$COMP_CWORD" "${COMP_WORDS[@]}" 2>/dev/null)" -- "$cur"))
}
complete -o default -F _kompass kompass
