# Writes OUT, a C file holding every migration in FILES (already sorted,
# separated by '|') as { "NNN_name.sql", "<text>" }, for server/migrate.c.
# Bytes are written as hex so that any text (quotes, backslashes, UTF-8)
# survives unchanged.
string(REPLACE "|" ";" FILES "${FILES}")
set(arrays "")
set(table "")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME)
  string(MAKE_C_IDENTIFIER "${name}" ident)
  file(READ ${f} text HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${text}")
  string(APPEND arrays "static const char m_${ident}[] = {${bytes}0x00};\n")
  string(APPEND table "    {\"${name}\", m_${ident}},\n")
endforeach()
file(WRITE ${OUT} "/* Generated from sql/ by cmake/embed_sql.cmake: do not edit. */\n"
                  "#include \"migrate.h\"\n\n${arrays}\n"
                  "const kp_migration kp_migrations[] = {\n${table}    {0, 0}\n};\n")
