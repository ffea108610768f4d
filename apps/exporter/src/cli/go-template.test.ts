import { describe, expect, it } from 'vitest';
import { parseTemplate, renderTemplate, tableFormat } from './go-template.js';

const render = (t: string, data: unknown) => renderTemplate(parseTemplate(t), data);

describe('the --format template subset', () => {
  const data = {
    Name: 'a:1',
    Env: ['A=1', 'B=2'],
    Labels: { 'x.y': 'z', b: '2' },
    N: 3,
    Nested: { Deep: null },
  };

  it('prints values as Go fmt does', () => {
    expect(render('{{.Name}} {{.Env}} {{.Labels}} {{.N}}', data)).toBe('a:1 [A=1 B=2] map[b:2 x.y:z] 3');
    expect(render('{{.Nested.Deep}} {{.Nested.Missing}}', data)).toBe('<no value> <no value>');
    expect(render('{{json .Env}}|{{.Env | json}}|{{json .}}', { Env: ['A'] })).toBe(
      '["A"]|["A"]|{"Env":["A"]}',
    );
  });

  it('index, join, upper, len, literals, trim markers and \\t', () => {
    expect(render('{{index .Labels "x.y"}}/{{index .Labels "none"}}/', data)).toBe('z//');
    expect(render('{{join .Env ","}} {{upper .Name}} {{len .Env}}', data)).toBe('A=1,B=2 A:1 2');
    expect(render('a  {{- "x" -}}  b\\t{{"q"}}', data)).toBe('axb\tq');
  });

  it('a table format makes a header from the field names', () => {
    const { header, row } = tableFormat('table {{.Name}}\t{{.CreatedAt}}', { CreatedAt: 'CREATED' });
    expect(header).toBe('NAME\tCREATED');
    expect(renderTemplate(row, { Name: 'n', CreatedAt: 'now' })).toBe('n\tnow');
  });

  it('refuses what Go refuses, with the field it is close to', () => {
    expect(() => render('{{.Nmae}}', data)).toThrow(/can't evaluate field Nmae \(did you mean \.Name\?\)/);
    expect(() => parseTemplate('{{printf "%s" .Name}}')).toThrow(/function "printf" not defined/);
    expect(() => parseTemplate('{{.Name')).toThrow(/unclosed action/);
    expect(() => parseTemplate('{{"x}}')).toThrow(/unterminated/);
  });
});
