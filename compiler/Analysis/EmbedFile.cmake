# cmake -DIN=FILE -DOUT=FILE.inc -P EmbedFile.cmake: FILE's text as a C++
# raw string literal (the HTML report page, compiled into cnnc).
file(READ "${IN}" content)
file(WRITE "${OUT}" "R\"cnncpage(${content})cnncpage\"\n")
