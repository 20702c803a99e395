# cmake -DINPUT=file -DOUTPUT=file.c -DNAME=symbol -P embed_binary.cmake
# Writes INPUT's bytes as a C array NAME and its length as NAME_size.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
  "/* Generated from ${INPUT} by embed_binary.cmake. */\n"
  "const unsigned char ${NAME}[] = {\n${bytes}};\n"
  "const unsigned long ${NAME}_size = ${size};\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
