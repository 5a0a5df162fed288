package dev.deebert.job.analysis;

import java.sql.Timestamp;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.apache.commons.text.StringEscapeUtils;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A self-contained HTML page built section by section: tables, and PNG images inlined as data URIs. It is laid
 * out to fit a 1280-pixel-wide window: images scale down, hashes are shortened, and column names and long values
 * wrap rather than widen the page.
 */
final class Html {
    /** Rows shown per table: a report is read by people, the exported tables hold everything. */
    static final int MAX_TABLE_ROWS = 500;

    /** Characters of a hash shown in a table; the whole hash is the cell's title (a tooltip). */
    static final int HASH_CHARS = 12;

    /**
     * Records on {@code <body>} what only a browser knows, for the browser test (ReportBrowserTest) to read from
     * Chromium's {@code --dump-dom}: the window's width, the page's visible and laid-out widths (wider when
     * something runs off the page) and each image's decoded width (0 where one did not decode). It writes
     * attributes and nothing else, so a reader without JavaScript misses nothing.
     */
    static final String LAYOUT_PROBE = "<script>addEventListener('load',function(){var b=document.body;"
            + "b.setAttribute('data-viewport-width',window.innerWidth);"
            + "b.setAttribute('data-client-width',document.documentElement.clientWidth);"
            + "b.setAttribute('data-scroll-width',document.documentElement.scrollWidth);"
            + "b.setAttribute('data-image-widths',Array.prototype.map.call(document.images,"
            + "function(i){return i.naturalWidth;}).join(' '));});</script>";

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private final StringBuilder body = new StringBuilder();
    private final String title;

    Html(String title) {
        this.title = title;
    }

    Html section(String id, String heading) {
        body.append("<section id=\"").append(id).append("\"><h2>").append(escape(heading)).append("</h2>\n");
        return this;
    }

    Html endSection() {
        body.append("</section>\n");
        return this;
    }

    Html subheading(String text) {
        body.append("<h3>").append(escape(text)).append("</h3>\n");
        return this;
    }

    Html paragraph(String text) {
        body.append("<p>").append(escape(text)).append("</p>\n");
        return this;
    }

    Html image(String id, String caption, byte[] png) {
        body.append("<figure id=\"").append(id).append("\"><img alt=\"").append(escape(caption))
                .append("\" width=\"").append(Charts.WIDTH).append("\" height=\"").append(Charts.HEIGHT)
                .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
                .append("\"><figcaption>").append(escape(caption)).append("</figcaption></figure>\n");
        return this;
    }

    /**
     * The rows of {@code table} (at most {@link #MAX_TABLE_ROWS}) under its column names, which may break after
     * an underscore. Hashes (columns named {@code *sha256}) show their first {@link #HASH_CHARS} characters.
     */
    Html table(String id, Dataset<Row> table) {
        List<Row> rows = table.limit(MAX_TABLE_ROWS + 1).collectAsList();
        String[] columns = table.columns();
        body.append("<table id=\"").append(id).append("\"><thead><tr>");
        for (String column : columns) {
            body.append("<th>").append(escape(column).replace("_", "_<wbr>")).append("</th>");
        }
        body.append("</tr></thead><tbody>\n");
        for (Row row : rows.subList(0, Math.min(rows.size(), MAX_TABLE_ROWS))) {
            body.append("<tr>");
            for (int c = 0; c < row.size(); c++) {
                Object value = row.get(c);
                String text = format(value);
                if (columns[c].endsWith("sha256") && text.length() > HASH_CHARS) {
                    body.append("<td class=\"hash\" title=\"").append(escape(text)).append("\">")
                            .append(escape(text.substring(0, HASH_CHARS))).append("…</td>");
                    continue;
                }
                body.append(value instanceof Number ? "<td class=\"n\">" : "<td>").append(escape(text))
                        .append("</td>");
            }
            body.append("</tr>\n");
        }
        body.append("</tbody></table>\n");
        if (rows.size() > MAX_TABLE_ROWS) {
            paragraph("First " + MAX_TABLE_ROWS + " rows; export the tables (--export) for all of them.");
        }
        return this;
    }

    String render() {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title>\n"
                + "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;"
                + "margin:1em 0;font-size:90%}th,td{border:1px solid #ccc;padding:2px 6px}"
                + "td{overflow-wrap:break-word}td.n,td.hash{white-space:nowrap}td.n{text-align:right}"
                + "th{background:#eee}figure{margin:1em 0}img{max-width:100%;height:auto}"
                + "figcaption{color:#444;max-width:900px}</style>\n"
                + LAYOUT_PROBE + "</head>\n<body><h1>" + escape(title) + "</h1>\n" + body + "</body></html>\n";
    }

    private static String format(Object value) {
        if (value == null) {
            return "";
        }
        if (value instanceof Timestamp time) {
            return SECONDS.format(time.toLocalDateTime());
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            return Double.isNaN(d) ? "NaN" : String.format(Locale.ROOT, "%.4g", d);
        }
        return value.toString();
    }

    private static String escape(String text) {
        return StringEscapeUtils.escapeHtml4(text);
    }
}
