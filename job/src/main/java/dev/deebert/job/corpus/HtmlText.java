package dev.deebert.job.corpus;

import java.io.IOException;
import java.io.StringReader;
import java.util.Set;
import javax.swing.text.MutableAttributeSet;
import javax.swing.text.html.HTML;
import javax.swing.text.html.HTMLEditorKit;
import javax.swing.text.html.parser.ParserDelegator;

/**
 * The visible text of an HTML body. Uses the JDK's own lenient HTML parser (java.desktop, no display needed)
 * because no HTML library (jsoup etc.) is on the job's classpath; it decodes entities and tolerates the
 * broken markup of spam. Script, style and title contents are dropped; block tags become line breaks, and text
 * runs are separated by a space so that words in adjacent elements do not merge.
 */
final class HtmlText {
    private static final Set<HTML.Tag> HIDDEN = Set.of(HTML.Tag.SCRIPT, HTML.Tag.STYLE, HTML.Tag.TITLE);

    private HtmlText() {
    }

    static String of(String html) throws IOException {
        Collector collector = new Collector();
        new ParserDelegator().parse(new StringReader(html), collector, true);
        return collector.text.toString();
    }

    private static final class Collector extends HTMLEditorKit.ParserCallback {
        final StringBuilder text = new StringBuilder();
        int hiddenDepth;

        @Override
        public void handleText(char[] data, int pos) {
            if (hiddenDepth == 0) {
                text.append(data).append(' ');
            }
        }

        @Override
        public void handleStartTag(HTML.Tag tag, MutableAttributeSet attributes, int pos) {
            if (HIDDEN.contains(tag)) {
                hiddenDepth++;
            } else if (tag.breaksFlow()) {
                text.append('\n');
            }
        }

        @Override
        public void handleEndTag(HTML.Tag tag, int pos) {
            if (HIDDEN.contains(tag) && hiddenDepth > 0) {
                hiddenDepth--;
            } else if (tag.breaksFlow()) {
                text.append('\n');
            }
        }

        @Override
        public void handleSimpleTag(HTML.Tag tag, MutableAttributeSet attributes, int pos) {
            if (tag.breaksFlow()) {
                text.append('\n');
            }
        }
    }
}
