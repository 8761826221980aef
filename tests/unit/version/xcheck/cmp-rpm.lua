-- SPDX-License-Identifier: Apache-2.0
-- Run by rpm: rpm --define "_xcheck_in FILE" --eval '%{lua: dofile("cmp-rpm.lua")}'. Reads "A<TAB>B"
-- lines from FILE, prints rpm.vercmp(A, B) per line (-1, 0, 1), or E when rpm refuses a version.
local out = {}
for l in io.lines(rpm.expand("%{_xcheck_in}")) do
    local a, b = l:match("^([^\t]*)\t(.*)$")
    local ok, r = pcall(rpm.vercmp, a, b)
    out[#out + 1] = ok and tostring(r) or "E"
end
io.write(table.concat(out, "\n"), "\n")
