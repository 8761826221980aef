# SPDX-License-Identifier: Apache-2.0
# Reads "A<TAB>B" lines, prints Gem::Version.new(A) <=> Gem::Version.new(B) per line (-1, 0, 1), or E
# if Gem::Version.correct? refuses either. The first line printed is the RubyGems version, or the file
# named by $STOCKADE_GEM_VERSION_RB, a lib/rubygems/version.rb of another RubyGems loaded over the
# installed one (to check against a newer RubyGems than the system's).
override = ENV["STOCKADE_GEM_VERSION_RB"]
if override && !override.empty?
  $VERBOSE = nil
  load override
end
STDIN.binmode
out = [override && !override.empty? ? "version.rb:#{override}" : Gem::VERSION]
STDIN.each_line do |l|
  a, b = l.chomp("\n").split("\t", -1)
  if Gem::Version.correct?(a) && Gem::Version.correct?(b)
    out << (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s
  else
    out << "E"
  end
end
STDOUT.write(out.join("\n") + "\n")
