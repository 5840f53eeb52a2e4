#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# The aarch64 happens-before audit (SPEC §10 "Weak memory"): disassembles
# aarch64 objects and checks that every happens-before point listed in a
# table compiles to acquire/release instructions or barriers. TAP output,
# one line per point and archive.
#
# Usage: tools/hb-audit.sh TABLE ARCHIVE...
#        (OBJDUMP names an aarch64-capable objdump; default
#        aarch64-linux-gnu-objdump)
#
# TABLE (tests/hb-audit.txt) has one point per line:
#
#   NAME  FUNCTION  REQUIREMENT...
#
# FUNCTION is looked up in every object of the archive; its body and the
# bodies of the functions it calls in the same object (transitively: the
# compiler may or may not inline a static helper) are counted together.
# Each instruction counts in these classes:
#
#   acq    LDAR, LDAPR, LDAXR, LDAXP (any size), an LSE atomic with the A
#          or AL order (CASA, CASPAL, SWPAL, LDADDAL, ...), a call to a
#          libgcc outline helper __aarch64_<op><size>_{acq,acq_rel,sync},
#          DMB ISH/SY (full) and DMB ISHLD/LD (load barrier)
#   rel    STLR, STLXR, STLXP (any size), an LSE atomic with the L or AL
#          order, an outline helper _{rel,acq_rel,sync}, DMB ISH/SY
#   fence  DMB ISH/SY only
#
# REQUIREMENT is acq=N, rel=N or fence=N (at least N of that class), or
# calls=F,G (the body calls each of F, G: a point that takes its order
# from a lock the table audits separately). A NAME starting with "!" is a
# negative control: the requirement must NOT be met (the relaxed atomic
# wrappers), which shows the audit can fail. Numbers in the table are the
# smallest count any of the audited builds shows (outline atomics, LL/SC
# armv8.0, LSE armv8.1): weakening any one order in the source lowers the
# count in every build, so the build at the minimum fails.
#
# A point whose function is missing from an archive fails (renaming a
# function needs a table update), as does a call to libatomic's generic
# __atomic_* functions, whose order the disassembly does not show.
set -u

objdump=${OBJDUMP:-aarch64-linux-gnu-objdump}
[ $# -ge 2 ] || {
	echo "usage: $0 TABLE ARCHIVE..." >&2
	exit 2
}
table=$1
shift

for a in "$@"; do
	[ -f "$a" ] || {
		echo "Bail out! $a: no such archive"
		exit 1
	}
done

npoints=$(grep -cv '^[[:space:]]*\(#\|$\)' "$table")
echo "1..$((npoints * $#))"

n=0
status=0
for a in "$@"; do
	flavour=$(basename "$a" .a)
	dis=$("$objdump" -dr --no-show-raw-insn "$a") || {
		echo "Bail out! $objdump -d $a failed"
		exit 1
	}
	out=$(printf '%s\n' "$dis" | awk -v table="$table" -v flavour="$flavour" -v base="$n" '
	function lse(m, ord) {
		# LSE atomics: op, then the order (a, al, l or none), then
		# the size (b, h or none).
		if (!match(m, /^(ld(add|clr|eor|set|smax|smin|umax|umin)|st(add|clr|eor|set|smax|smin|umax|umin)|swp|casp|cas)/))
			return ""
		ord = substr(m, RLENGTH + 1)
		sub(/[bh]$/, "", ord)
		if (ord == "" || ord == "a" || ord == "al" || ord == "l")
			return "lse:" ord
		return ""
	}
	function count(f, cls) {
		cnt[f, cls]++
	}
	# A direct branch shows its target by name; a relocation line after
	# it, when there is one, names the real target instead (the shown
	# name of an unresolved call is meaningless).
	function flush() {
		if (pending != "")
			calls[cur, pending] = 1
		pending = ""
	}
	/^[0-9a-f]+ <[^>]+>:$/ {
		flush()
		fn = $2
		gsub(/[<>:]/, "", fn)
		cur = obj SUBSEP fn
		if (!(fn in where))
			where[fn] = obj
		else if (where[fn] != obj)
			dup[fn] = 1
		defined[cur] = 1
		next
	}
	/file format/ {
		obj = $1
		sub(/:$/, "", obj)
		next
	}
	/^[[:space:]]+[0-9a-f]+:[[:space:]]+R_AARCH64_(CALL|JUMP)26/ {
		pending = ""
		callee = $3
		sub(/\+0x[0-9a-f]+$/, "", callee)
		calls[cur, callee] = 1
		if (callee ~ /^__aarch64_(cas|swp|ldadd|ldclr|ldeor|ldset)(1|2|4|8|16)_(relax|acq|rel|acq_rel|sync)$/) {
			o = callee
			sub(/^.*_(cas|swp|ldadd|ldclr|ldeor|ldset)(1|2|4|8|16)_/, "", o)
			if (o == "acq" || o == "acq_rel" || o == "sync")
				count(cur, "acq")
			if (o == "rel" || o == "acq_rel" || o == "sync")
				count(cur, "rel")
		} else if (callee ~ /^__atomic_/) {
			count(cur, "libatomic")
		}
		next
	}
	/^[[:space:]]+[0-9a-f]+:/ {
		if (cur == "")
			next
		flush()
		m = $2
		if (m == "bl" || m == "b") {
			if (match($0, /<[^>+]+>/)) {
				callee = substr($0, RSTART + 1, RLENGTH - 2)
				if (callee != fn)
					pending = callee
			}
			next
		}
		if (m ~ /^(ldar|ldapr|ldapur|ldaxr)[bh]?$/ || m == "ldaxp") {
			count(cur, "acq")
		} else if (m ~ /^(stlr|stlur|stlxr)[bh]?$/ || m == "stlxp") {
			count(cur, "rel")
		} else if (m == "dmb") {
			if ($3 ~ /^(ish|sy|osh|nsh)$/) {
				count(cur, "acq"); count(cur, "rel")
				count(cur, "fence")
			} else if ($3 ~ /^(ishld|ld|oshld|nshld)$/) {
				count(cur, "acq")
			}
		} else if ((k = lse(m)) != "") {
			if (k == "lse:a" || k == "lse:al")
				count(cur, "acq")
			if (k == "lse:l" || k == "lse:al")
				count(cur, "rel")
		}
	}
	# closure adds f and the functions it calls in its object.
	function closure(f, o, g, k, parts) {
		if (f in seen)
			return
		seen[f] = 1
		for (k in calls) {
			split(k, parts, SUBSEP)
			if (parts[1] SUBSEP parts[2] != f)
				continue
			g = parts[1] SUBSEP parts[3]
			if (g in defined)
				closure(g)
		}
	}
	END {
		flush()
		i = base
		while ((getline line < table) > 0) {
			if (line ~ /^[[:space:]]*(#|$)/)
				continue
			nf = split(line, w, /[[:space:]]+/)
			if (w[1] == "") {
				for (j = 1; j < nf; j++)
					w[j] = w[j + 1]
				nf--
			}
			name = w[1]; f = w[2]; i++
			neg = (substr(name, 1, 1) == "!")
			if (!(f in where)) {
				printf "not ok %d - %s %s: %s not found\n", i, flavour, name, f
				continue
			}
			if (f in dup) {
				printf "not ok %d - %s %s: %s defined in several objects\n", i, flavour, name, f
				continue
			}
			delete seen
			closure(where[f] SUBSEP f)
			got["acq"] = got["rel"] = got["fence"] = got["libatomic"] = 0
			for (s in seen)
				for (c in got)
					got[c] += cnt[s, c]
			met = 1; why = ""
			for (j = 3; j <= nf; j++) {
				split(w[j], kv, "=")
				if (kv[1] == "calls") {
					nc = split(kv[2], cl, ",")
					for (q = 1; q <= nc; q++) {
						found = 0
						for (s in seen)
							if ((s SUBSEP cl[q]) in calls)
								found = 1
						if (!found) {
							met = 0
							why = why " no call to " cl[q]
						}
					}
				} else if (got[kv[1]] < kv[2] + 0) {
					met = 0
					why = why sprintf(" %s %d < %d", kv[1], got[kv[1]], kv[2])
				}
			}
			if (got["libatomic"] > 0) {
				met = neg ? 1 : 0
				why = why " calls libatomic"
			}
			detail = sprintf("acq=%d rel=%d fence=%d", got["acq"], got["rel"], got["fence"])
			ok = neg ? !met : met
			printf "%s %d - %s %s %s: %s%s\n", ok ? "ok" : "not ok", i, flavour, name, f, detail, (ok || why == "") ? "" : " (" substr(why, 2) ")"
		}
	}')
	printf '%s\n' "$out"
	case $out in
	*"not ok"*) status=1 ;;
	esac
	n=$((n + npoints))
done
exit $status
