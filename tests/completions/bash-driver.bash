# Complete command lines with bash-completion and a bash completion file,
# as readline would: COMP_WORDS split at COMP_WORDBREAKS, COMP_CWORD,
# COMP_LINE and COMP_POINT set, the function that "complete -p proctraf"
# names called, COMPREPLY read.
#   bash --norc --noprofile bash-driver.bash COMPLETION_FILE WORK_DIR < LINES
# For each line of LINES (the text before the cursor) prints "@@ LINE", then
# each reply as the whole word it would leave on the line (readline replaces
# only the text after the last word-break character, e.g. after "="), and
# "#compopt ARGS" for each compopt call the completion made.
source /usr/share/bash-completion/bash_completion || exit 2
source "$1" || exit 2
cd "$2" || exit 2

spec=$(complete -p proctraf) || exit 2
[[ $spec =~ -F\ ([^ ]+) ]] || { echo "bash-driver: no -F in: $spec" >&2; exit 2; }
func=${BASH_REMATCH[1]}

# compopt works only while readline runs a completion; record its use.
compopt() {
    printf '#compopt'
    printf ' %s' "$@"
    printf '\n'
}

COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
breaks=${COMP_WORDBREAKS//[[:space:]]/}

# COMP_WORDS as readline makes them: words end at white space, and a run
# of word-break characters ("=") is a word of its own.
split_line() {
    local line=$1 word='' c i
    COMP_WORDS=()
    for ((i = 0; i < ${#line}; i++)); do
        c=${line:i:1}
        if [[ $c == [[:space:]] ]]; then
            [[ $word ]] && COMP_WORDS+=("$word")
            word=
        elif [[ $breaks == *"$c"* ]]; then
            [[ $word && $breaks != *"${word: -1}"* ]] && { COMP_WORDS+=("$word"); word=; }
            word+=$c
        else
            [[ $word && $breaks == *"${word: -1}"* ]] && { COMP_WORDS+=("$word"); word=; }
            word+=$c
        fi
    done
    [[ $word ]] && COMP_WORDS+=("$word")
    [[ $line == *[[:space:]] ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
}

while IFS= read -r line; do
    printf '@@ %s\n' "$line"
    split_line "$line"
    COMP_LINE=$line
    COMP_POINT=${#line}
    COMPREPLY=()
    # The part of the last word readline keeps: up to its last break char.
    last=${line##*[[:space:]]}
    keep=
    [[ $last == *["$breaks"]* ]] && keep=${last%"${last##*["$breaks"]}"}
    "$func" proctraf "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    # With -o default or -o bashdefault, readline would fall back to files.
    if ((${#COMPREPLY[@]} == 0)) && [[ $spec == *-o\ @(default|bashdefault)* ]]; then
        COMPREPLY=($(compgen -f -- "${last#"$keep"}"))
    fi
    for reply in "${COMPREPLY[@]}"; do
        printf '%s%s\n' "$keep" "$reply"
    done
done
