# Complete command lines in a real interactive zsh (compsys), the way zsh's
# own Test/comptest does: an interactive "zsh -f" on a pseudo-terminal
# (zpty), compinit with the completion file's directory first in $fpath,
# list-colors that tag every listed match, and a widget bound to ^D that
# lists the choices for the line typed so far.
#   zsh -f zsh-driver.zsh FPATH_DIR WORK_DIR < LINES
# For each line of LINES (the text before the cursor) prints "@@ LINE", then
# one listed match a line; a "@PID@ N" line first names a pid that _pids
# lists (that of the shell on the pty, the only terminal it looks at).
emulate -R zsh
setopt extendedglob
zmodload zsh/zpty || exit 2
fdir=$1
work=$2

export PS1='<PROMPT>' PS2='' RPS1='' PROMPT_EOL_MARK=''
zpty zsh "zsh -f +Z" || exit 2
zpty -r -m zsh log '*<PROMPT>*' || { print -u2 'zsh-driver: no first prompt'; exit 2 }

# Run commands in the pty shell (through a file: no echo of long lines).
local -a words
local h chunk
setup=$work/../zsh-setup.$$
run() {
  print -lr -- "$@" >$setup
  zpty -w zsh ". ${(q)setup}"
  zpty -r -m zsh log '*<PROMPT>*' || { print -u2 'zsh-driver: no prompt after setup'; exit 2 }
  rm -f $setup
}

run 'export LC_ALL=C' \
  'emulate -R zsh' \
  "fpath=( ${(q)fdir} \$fpath )" \
  "cd ${(q)work}" \
  'bindkey -e' \
  'LISTMAX=10000000' \
  'stty 38400 columns 80 rows 24 tabs -icanon -iexten' \
  'TERM=vt100 KEYTIMEOUT=1' \
  'setopt zle' \
  'autoload -U compinit' \
  'compinit -u -D' \
  'zstyle ":completion:*:default" list-colors "no=<NO>" "fi=<FI>" "di=<DI>" "ln=<LN>" "pi=<PI>" "so=<SO>" "bd=<BD>" "cd=<CD>" "ex=<EX>" "mi=<MI>" "tc=<TC>" "sp=<SP>" "lc=<LC>" "ec=<EC>\n" "rc=<RC>"' \
  'zstyle ":completion:*" group-name ""' \
  'zstyle ":completion:*" list-grouped false' \
  'zstyle ":completion:*:messages" format "<MESSAGE>%d</MESSAGE>"' \
  'zstyle ":completion:*:descriptions" format "<DESCRIPTION>%d</DESCRIPTION>"' \
  'setopt noalwayslastprompt listrowsfirst completeinword' \
  'zmodload zsh/complist' \
  'list-choices-with-report () { print -lr "<WIDGET><list-choices>"; zle list-choices; zle clear-screen; zle -R }' \
  'comp-finish () { print "<WIDGET><finish>"; zle kill-whole-line; zle clear-screen; zle -R; print "<END>" }' \
  'zle -N list-choices-with-report' \
  'zle -N comp-finish' \
  'bindkey "^D" list-choices-with-report' \
  'bindkey "^Z" comp-finish' \
  'print -r -- "<PID>$$</PID>"'
[[ $log == (#b)*'<PID>'(<->)'</PID>'* ]] && print -r -- "@PID@ $match[1]"

while IFS= read -r line; do
  print -r -- "@@ $line"
  zpty -n -w zsh "$line"$'\C-D\C-Z'
  # Line by line up to the end mark: a pattern (zpty -r -m) is tried
  # after every byte read, too slow for a long listing.
  log=
  while :; do
    zpty -r zsh chunk || { print -u2 "zsh-driver: no finish after: $line"; exit 2 }
    log+=$chunk
    [[ $chunk == *'<END>'* ]] && break
  done
  # What the widget listed: each match is "<LC><XX><RC>text<EC>" (XX its
  # type: NO, DI, FI, ...; SP and TC are padding and the "/" after a
  # directory), text the match or its display string ("--csv  -- write
  # CSV", "4711 pts/0 00:00:00 zsh"): its first word is the match.
  log=${${log#*<WIDGET><list-choices>}%%<WIDGET><finish>*}
  [[ -n $ZSH_DRIVER_RAW ]] && print -r -- "RAW ${(V)log//$'\0'}"
  # The headings (descriptions and messages) as "#TEXT", in no order.
  for h in ${(f)"$(print -r -- ${log//(#b)(<DESCRIPTION>|<MESSAGE>)([^<]#)(<\/DESCRIPTION>|<\/MESSAGE>)/$'\n<H>'$match[2]$'\n'})"}; do
    [[ $h == '<H>'* ]] && print -r -- "#${h#<H>}"
  done
  while [[ $log == (#b)*'<LC><'(??)'><RC>'(*)'<EC>'* ]]; do
    # (#b) with a leading * matches the last entry; drop it and go on.
    log=${log[1,$mbegin[1]-6]}
    [[ $match[1] == (SP|TC) ]] && continue
    words=( ${=match[2]} )
    print -r -- "$words[1]"
  done
done
zpty -d zsh
