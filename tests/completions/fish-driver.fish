# Complete command lines with fish's own completion (complete -C) and the
# fish completion file loaded.
#   fish --no-config fish-driver.fish COMPLETION_FILE WORK_DIR < LINES
# For each line of LINES (the text before the cursor) prints "@@ LINE", then
# each completion as the whole word it would put on the line (fish prints
# whole words, "--proc-root=dA/"), its description dropped.
# Nothing else may complete proctraf: no other file on the completion path.
set fish_complete_path
source $argv[1]; or exit 2
cd $argv[2]; or exit 2
while read -l line
    echo "@@ $line"
    complete -C"$line" | string replace -r -- '\t.*' ''
end
