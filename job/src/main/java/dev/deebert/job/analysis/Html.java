package dev.deebert.job.analysis;

import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.apache.commons.text.StringEscapeUtils;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** A self-contained HTML page built section by section: tables, and PNG images inlined as data URIs. */
final class Html {
    /** Rows shown per table: a report is read by people, the exported tables hold everything. */
    static final int MAX_TABLE_ROWS = 500;

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
                .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
                .append("\"><figcaption>").append(escape(caption)).append("</figcaption></figure>\n");
        return this;
    }

    /** The rows of {@code table} (at most {@link #MAX_TABLE_ROWS}) under its column names. */
    Html table(String id, Dataset<Row> table) {
        List<Row> rows = table.limit(MAX_TABLE_ROWS + 1).collectAsList();
        body.append("<table id=\"").append(id).append("\"><thead><tr>");
        for (String column : table.columns()) {
            body.append("<th>").append(escape(column)).append("</th>");
        }
        body.append("</tr></thead><tbody>\n");
        for (Row row : rows.subList(0, Math.min(rows.size(), MAX_TABLE_ROWS))) {
            body.append("<tr>");
            for (int c = 0; c < row.size(); c++) {
                Object value = row.get(c);
                body.append(value instanceof Number ? "<td class=\"n\">" : "<td>").append(escape(format(value)))
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
                + "margin:1em 0;font-size:90%}th,td{border:1px solid #ccc;padding:2px 8px}td.n{text-align:right}"
                + "th{background:#eee}figure{margin:1em 0}</style></head>\n<body><h1>" + escape(title) + "</h1>\n"
                + body + "</body></html>\n";
    }

    private static String format(Object value) {
        if (value == null) {
            return "";
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
