// Problem statements are Markdown written by setters: rendered with HTML switched off, so a
// statement can never inject markup or scripts (raw HTML in it shows as text).
import MarkdownIt from "markdown-it";

const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false });

// Links open as links, never as javascript: (markdown-it's validateLink already refuses those).
const defaultLinkOpen = markdown.renderer.rules.link_open;
markdown.renderer.rules.link_open = (tokens, index, options, env, self) => {
  tokens[index].attrSet("rel", "nofollow noopener");
  return defaultLinkOpen ? defaultLinkOpen(tokens, index, options, env, self) : self.renderToken(tokens, index, options);
};

export function renderMarkdown(source: string): string {
  return markdown.render(source);
}
