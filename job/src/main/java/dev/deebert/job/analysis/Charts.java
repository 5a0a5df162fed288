package dev.deebert.job.analysis;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYPointerAnnotation;
import org.jfree.chart.axis.Axis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.SeriesRenderingOrder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.chart.util.ShapeUtils;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/** The report's charts, drawn headless with JFreeChart and encoded as PNG. */
final class Charts {
    static final int WIDTH = 900;
    static final int HEIGHT = 480;

    /** Larger than JFreeChart's 12/10 pt: the images are read at their own size, beside 16 px body text. */
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
    private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    static {
        // No display on a cluster driver: AWT must never look for one.
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /** How a series is drawn: the data as lines with markers or as markers alone; a reference as a dashed line. */
    enum Style { LINE, POINTS, REFERENCE }

    /** A series of (x, y) points. */
    record Series(String name, List<double[]> points, Style style) {
        Series(String name, List<double[]> points) {
            this(name, points, Style.LINE);
        }
    }

    /** A point to point out, labelled on the chart (a chosen operating point). */
    record Mark(String label, double x, double y) {}

    /**
     * Lines of {@code series}, and {@code marks} drawn over them as one more series named {@code marksName}
     * (large black diamonds, each with its label).
     *
     * @param layersOnX whether x is a layer number (ticks on whole numbers only)
     */
    static JFreeChart lines(String title, String xLabel, String yLabel, List<Series> series, boolean layersOnX,
                            String marksName, List<Mark> marks) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : series) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            s.points().forEach(p -> xy.add(p[0], p[1]));
            data.addSeries(xy);
        }
        XYSeries marked = new XYSeries(marksName, false, true);
        marks.forEach(m -> marked.add(m.x(), m.y()));
        if (!marks.isEmpty()) {
            data.addSeries(marked);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL,
                true, false, false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < series.size(); i++) {
            Style style = series.get(i).style();
            renderer.setSeriesLinesVisible(i, style != Style.POINTS);
            renderer.setSeriesShapesVisible(i, style != Style.REFERENCE);
            // Hollow, so that points that coincide with a line's markers (a run and the sweep of its rows) show both.
            if (style == Style.POINTS) {
                renderer.setSeriesShapesFilled(i, false);
                renderer.setSeriesShape(i, ShapeUtils.createUpTriangle(6f));
            }
            if (style == Style.REFERENCE) {
                renderer.setSeriesPaint(i, Color.GRAY);
                renderer.setSeriesStroke(i, new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[] {6f, 4f}, 0f));
            } else {
                renderer.setSeriesStroke(i, new BasicStroke(2f));
            }
        }
        if (!marks.isEmpty()) {
            int m = series.size();
            renderer.setSeriesLinesVisible(m, false);
            renderer.setSeriesPaint(m, Color.BLACK);
            renderer.setSeriesShape(m, ShapeUtils.createDiamond(7f));
            for (int i = 0; i < marks.size(); i++) {
                // Below and left of the point, where a quality curve that falls to the right leaves room; each
                // label further out than the one before, so that neighbouring points' labels do not overlap.
                Mark mark = marks.get(i);
                XYPointerAnnotation label = new XYPointerAnnotation(mark.label(), mark.x(), mark.y(),
                        3 * Math.PI / 4);
                label.setFont(TICK_FONT);
                label.setTextAnchor(TextAnchor.TOP_RIGHT);
                label.setBaseRadius(30 + 35 * i);
                plot.addAnnotation(label);
            }
        }
        plot.setRenderer(renderer);
        plot.setSeriesRenderingOrder(SeriesRenderingOrder.FORWARD);
        if (layersOnX) {
            ((NumberAxis) plot.getDomainAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        }
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        return styled(chart);
    }

    static JFreeChart lines(String title, String xLabel, String yLabel, List<Series> series, boolean layersOnX) {
        return lines(title, xLabel, yLabel, series, layersOnX, "", List.of());
    }

    /**
     * {@code chart} with x over 0 to 100: a share in percent, read against its whole range (with a margin, so that
     * a point at 0 or 100 shows whole).
     */
    static JFreeChart percentOnX(JFreeChart chart) {
        chart.getXYPlot().getDomainAxis().setRange(-2, 102);
        return chart;
    }

    /** {@code chart} with y from 0: a time or count, read against nothing spent. */
    static JFreeChart fromZeroOnY(JFreeChart chart) {
        ((NumberAxis) chart.getXYPlot().getRangeAxis()).setAutoRangeIncludesZero(true);
        return chart;
    }

    /** A category's value with its interval [low, high], and the target it should reach (null where none). */
    record Interval(String category, double value, double low, double high, Double target) {}

    /**
     * Per category its value with the interval drawn as an error bar ({@code valueName}) and, where it has one, its
     * target as a black dash ({@code targetName}).
     */
    static JFreeChart intervals(String title, String categoryLabel, String valueLabel, String valueName,
                                String targetName, List<Interval> intervals) {
        YIntervalSeries values = new YIntervalSeries(valueName);
        YIntervalSeries targets = new YIntervalSeries(targetName);
        for (int x = 0; x < intervals.size(); x++) {
            Interval i = intervals.get(x);
            values.add(x, i.value(), i.low(), i.high());
            if (i.target() != null) {
                targets.add(x, i.target(), i.target(), i.target());
            }
        }
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        data.addSeries(values);
        if (targets.getItemCount() > 0) {
            data.addSeries(targets);
        }
        XYErrorRenderer renderer = new XYErrorRenderer();
        renderer.setDrawXError(false);
        renderer.setDefaultLinesVisible(false);
        renderer.setSeriesShape(0, ShapeUtils.createDiamond(5f));
        renderer.setSeriesShape(1, new Rectangle2D.Double(-12, -1.5, 24, 3));
        renderer.setErrorStroke(new BasicStroke(2f));
        renderer.setCapLength(10);
        NumberAxis range = new NumberAxis(valueLabel);
        range.setAutoRangeIncludesZero(false);
        SymbolAxis categories = new SymbolAxis(categoryLabel,
                intervals.stream().map(Interval::category).toArray(String[]::new));
        categories.setGridBandsVisible(false);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT,
                new XYPlot(data, categories, range, renderer), true);
        // ChartFactory applies its theme to the charts it makes; this one is made by hand. The theme sets every
        // series' paint, so the target's black comes after it.
        ChartFactory.getChartTheme().apply(chart);
        renderer.setSeriesPaint(1, Color.BLACK);
        return styled(chart);
    }

    /** Bars per category, one bar per series in each, stacked. {@code values}: series -> category -> value. */
    static JFreeChart stackedBars(String title, String categoryLabel, String valueLabel,
                                  Map<String, Map<String, Number>> values) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        values.forEach((series, byCategory) -> byCategory.forEach((category, v) -> data.addValue(v, series, category)));
        JFreeChart chart = ChartFactory.createStackedBarChart(title, categoryLabel, valueLabel, data,
                PlotOrientation.VERTICAL, true, false, false);
        chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
        chart.getCategoryPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
        return readable(chart, chart.getCategoryPlot().getDomainAxis(), chart.getCategoryPlot().getRangeAxis());
    }

    static byte[] png(JFreeChart chart) {
        try {
            return ChartUtils.encodeAsPNG(chart.createBufferedImage(WIDTH, HEIGHT));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JFreeChart styled(JFreeChart chart) {
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return readable(chart, plot.getDomainAxis(), plot.getRangeAxis());
    }

    private static JFreeChart readable(JFreeChart chart, Axis... axes) {
        for (Axis axis : axes) {
            axis.setLabelFont(LABEL_FONT);
            axis.setTickLabelFont(TICK_FONT);
        }
        chart.getLegend().setItemFont(TICK_FONT);
        return chart;
    }
}
