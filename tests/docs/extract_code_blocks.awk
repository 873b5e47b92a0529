# Writes each fenced code block of a Markdown page that is tagged with a file name
# ("```cpp name.cpp", "```python name.py") to DIR/name, and fails on an untagged C++ or Python
# block: every code block of the tutorial must be one that a test compiles and runs.
# Usage: awk -v dir=DIR -f extract_code_blocks.awk PAGE.md
/^```(cpp|python) [A-Za-z0-9_.]+$/ { file = dir "/" $2; printf "" > file; next }
/^```(cpp|c\+\+|python|py)?$/ && file == "" && $0 != "```" {
  print FILENAME ":" NR ": a code block without a file name (```cpp NAME.cpp)" > "/dev/stderr"; failed = 1; next
}
/^```$/ && file != "" { close(file); file = ""; next }
file != "" { print >> file }
END { exit failed }
