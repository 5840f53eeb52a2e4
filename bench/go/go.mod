module libgoconc/bench

go 1.19
