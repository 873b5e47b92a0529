# Holds README.md to what dae_mnist prints (cmake -P, from CTest: docs_cli_help). Each fenced
# block that follows a line `<!-- docs_cli_help: dae_mnist ARGS -->` must be, byte for byte,
# what `dae_mnist ARGS` writes to stdout (exit status 0). The help is generated from the
# declarations that parse (examples/dae_mnist/command_line.hpp), so a flag added, renamed or
# given another range or default changes it; this test makes the README change with it.
cmake_minimum_required(VERSION 3.25)

foreach(var DAE_MNIST README)
  if(NOT ${var})
    message(FATAL_ERROR "check_cli_help.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${README}" text)
set(prefix "<!-- docs_cli_help: dae_mnist ")
set(fence "```")
set(seen "")
set(failures "")
string(FIND "${text}" "${prefix}" at)
while(NOT at EQUAL -1)
  string(LENGTH "${prefix}" prefix_length)
  math(EXPR args_begin "${at} + ${prefix_length}")
  string(SUBSTRING "${text}" ${args_begin} -1 rest)
  string(FIND "${rest}" " -->\n${fence}\n" args_end)
  if(args_end EQUAL -1)
    message(FATAL_ERROR "docs_cli_help: ${README}: a docs_cli_help marker without ` -->` and a fence on the next line")
  endif()
  string(SUBSTRING "${rest}" 0 ${args_end} args)
  math(EXPR block_begin "${args_end} + 9")  # " -->\n```\n"
  string(SUBSTRING "${rest}" ${block_begin} -1 rest)
  string(FIND "${rest}" "\n${fence}\n" block_end)
  if(block_end EQUAL -1)
    message(FATAL_ERROR "docs_cli_help: ${README}: the block of `dae_mnist ${args}` is not closed")
  endif()
  math(EXPR block_length "${block_end} + 1")  # with the last line's newline
  string(SUBSTRING "${rest}" 0 ${block_length} block)

  separate_arguments(argv UNIX_COMMAND "${args}")
  execute_process(COMMAND "${DAE_MNIST}" ${argv} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(APPEND failures "`dae_mnist ${args}` exited with ${rc}: ${err}\n")
  elseif(NOT block STREQUAL out)
    # Both texts go to files beside the test, for a diff.
    string(MAKE_C_IDENTIFIER "${args}" name)
    file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/docs_cli_help_${name}.readme" "${block}")
    file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/docs_cli_help_${name}.printed" "${out}")
    string(APPEND failures "README.md's block for `dae_mnist ${args}` differs from what it prints "
                           "(diff ${CMAKE_CURRENT_BINARY_DIR}/docs_cli_help_${name}.readme "
                           "${CMAKE_CURRENT_BINARY_DIR}/docs_cli_help_${name}.printed); it prints:\n${out}\n")
  endif()
  list(APPEND seen "${args}")
  string(FIND "${rest}" "${prefix}" at)
  if(NOT at EQUAL -1)
    string(SUBSTRING "${rest}" ${at} -1 text)
    set(at 0)
  endif()
endwhile()

foreach(required "--help" "train --help")
  if(NOT required IN_LIST seen)
    message(FATAL_ERROR "docs_cli_help: ${README} has no block marked `${prefix}${required} -->`")
  endif()
endforeach()
if(failures)
  message(FATAL_ERROR "docs_cli_help:\n${failures}")
endif()
list(LENGTH seen checked)
message("docs_cli_help: ${checked} blocks of ${README} are what dae_mnist prints")
