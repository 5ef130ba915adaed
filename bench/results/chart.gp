set terminal pngcairo size 1400,620 font 'DejaVu Sans,10'
set output 'chart.png'
colours = '#7f7f7f #8c564b #9467bd #bcbd22 #d62728 #1f77b4 #17becf #2ca02c #98df8a #ff7f0e'
label(x) = x >= 1e6 ? sprintf('%.2fM', x / 1e6) : x >= 1e4 ? sprintf('%.0fk', x / 1e3) : x >= 1e3 ? sprintf('%.1fk', x / 1e3) : sprintf('%.0f', x)
set key autotitle columnhead
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set logscale y 10
set yrange [1000:1e+09]
set format y '10^{%L}'
set grid ytics
set key top left horizontal
set ylabel 'increments/s (log scale)'
set xtics nomirror
set xrange [-0.6:2.6]
set multiplot layout 1,2 title 'upsert-bench: increments/s per arm and engine'
set title 'uniform workload, 8 threads (8 producers for the writer)'
plot for [i=2:11] 'chart-uniform.dat' using i:xtic(1) title columnheader(i) lc rgb word(colours, i-1), \
     for [i=2:11] 'chart-uniform.dat' using ($0 + (i - 2 - 4.5) / 11.0):i:(label(column(i))) with labels rotate by 90 left offset 0,0.4 font ',8' notitle
set title 'hot workload, 8 threads (8 producers for the writer)'
plot for [i=2:11] 'chart-hot.dat' using i:xtic(1) title columnheader(i) lc rgb word(colours, i-1), \
     for [i=2:11] 'chart-hot.dat' using ($0 + (i - 2 - 4.5) / 11.0):i:(label(column(i))) with labels rotate by 90 left offset 0,0.4 font ',8' notitle
unset multiplot
