"""The completion scripts ``sagemaker-async completion SHELL`` prints.

Each one only collects the words on the line and calls ``sagemaker-async __complete``, which
knows the commands and options (see :mod:`sagemaker_async.cli.completion`).
"""

BASH = r"""# bash completion for sagemaker-async.
# Install: add to ~/.bashrc   eval "$(sagemaker-async completion bash)"
_sagemaker_async_complete() {
    local reply
    COMPREPLY=()
    # COMP_LINE/COMP_POINT/COMP_WORDBREAKS tell how COMP_WORDS were split at '=' and ':'.
    while IFS= read -r reply; do
        if [[ -n $reply ]]; then COMPREPLY+=("$reply"); fi
    done < <(COMP_LINE="$COMP_LINE" COMP_POINT="$COMP_POINT" COMP_WORDBREAKS="$COMP_WORDBREAKS" \
        command sagemaker-async __complete bash "$COMP_CWORD" -- "${COMP_WORDS[@]}" \
        2>/dev/null </dev/null)
}
complete -o nospace -F _sagemaker_async_complete sagemaker-async
"""

ZSH = r"""#compdef sagemaker-async
# zsh completion for sagemaker-async.
# Install: add to ~/.zshrc, after compinit   eval "$(sagemaker-async completion zsh)"
_sagemaker_async() {
    local -a replies spaced unspaced
    local reply ret=1
    replies=("${(@f)$(command sagemaker-async __complete zsh $(( CURRENT - 1 )) -- \
        "${(@Q)words[1,CURRENT-1]}" "${(Q)PREFIX}" "${(@Q)words[CURRENT+1,-1]}" \
        2>/dev/null </dev/null)}")
    for reply in "${replies[@]}"; do
        case $reply in
            (S$'\t'*) spaced+=("${reply#S$'\t'}") ;;
            (N$'\t'*) unspaced+=("${reply#N$'\t'}") ;;
        esac
    done
    if (( ${#spaced} )); then _describe -t values sagemaker-async spaced && ret=0; fi
    if (( ${#unspaced} )); then _describe -t values sagemaker-async unspaced -S '' && ret=0; fi
    return ret
}
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    _sagemaker_async "$@"
else
    compdef _sagemaker_async sagemaker-async
fi
"""

FISH = r"""# fish completion for sagemaker-async.
# Install: mkdir -p ~/.config/fish/completions &&
#   sagemaker-async completion fish > ~/.config/fish/completions/sagemaker-async.fish
function __sagemaker_async_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    command sagemaker-async __complete fish (count $words) -- $words "$current" 2>/dev/null </dev/null
end
complete -c sagemaker-async -f -a '(__sagemaker_async_complete)'
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH}
