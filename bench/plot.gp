# Plots of a sink-bench run, as PNG (Debian gnuplot-nox; no display needed).
#   gnuplot -e "results='DIR'; out='DIR'" bench/plot.gp
# throughput-<W>.dat (a row per thread count, a column per map) becomes
# throughput-<W>.png; memory.dat becomes memory.png.
set terminal pngcairo size 900,600 font "sans,10"
# Map names are plain text: with enhanced text, "concurrent_hash_map" would
# print its underscores as subscripts.
set termoption noenhanced
set datafile missing "NaN"
set datafile separator "\t"
# Below the plot, in columns: at the right it took half of each picture.
set key below horizontal maxcols 3 font ",9"
set grid ytics

set logscale x 2
set xlabel "threads (2 cores: 4 and 8 are oversubscribed)"
set ylabel "million operations per second (median)"
do for [w in "R W1 W2 W3 W4 W5 W6 W7a W7b W8"] {
    file = sprintf("%s/throughput-%s.dat", results, w)
    if (system(sprintf("test -f '%s' && echo yes", file)) eq "yes") {
        columns = int(system(sprintf("head -1 '%s' | awk -F'\t' '{print NF}'", file)))
        set output sprintf("%s/throughput-%s.png", out, w)
        set title sprintf("%s: throughput against threads", w)
        set xtics (1, 2, 4, 8)
        set xrange [0.8:10]  # keeps 8 (the last point) inside the range, so its tick shows
        set yrange [0:*]
        plot for [i=2:columns] file using 1:i with linespoints lw 2 pt 7 title columnheader(i)
        unset output
    }
}

unset logscale x
set xrange [*:*]
set xtics rotate by -30 left
set xlabel ""
set ylabel "bytes per entry (1,000,000 u64 entries)"
set style fill solid 0.6 border -1
set boxwidth 0.35
file = sprintf("%s/memory.dat", results)
if (system(sprintf("test -f '%s' && echo yes", file)) eq "yes") {
    set output sprintf("%s/memory.png", out)
    set title "memory held per entry: after the fill, and at the peak of growth"
    set yrange [0:*]
    plot file using ($0-0.18):2:xtic(1) with boxes title "after fill", \
         file using ($0+0.18):3 with boxes title "peak during growth"
    unset output
}
