# SPDX-License-Identifier: Apache-2.0
# Reads "A<TAB>B" lines, prints Gem::Version.new(A) <=> Gem::Version.new(B) per line (-1, 0, 1), or E
# if Gem::Version.correct? refuses either. The first line printed is the RubyGems version.
STDIN.binmode
out = [Gem::VERSION]
STDIN.each_line do |l|
  a, b = l.chomp("\n").split("\t", -1)
  if Gem::Version.correct?(a) && Gem::Version.correct?(b)
    out << (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s
  else
    out << "E"
  end
end
STDOUT.write(out.join("\n") + "\n")
