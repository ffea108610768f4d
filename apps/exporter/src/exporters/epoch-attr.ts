import { OptionError } from '@lading/digest';
import { parseEpoch } from '@lading/image-config';

/** The `source-date-epoch` attribute (whole seconds); undefined when absent or empty. */
export function parseEpochAttr(attrs: Readonly<Record<string, string>>): Date | undefined {
  const epochText = attrs['source-date-epoch'];
  if (epochText === undefined || epochText === '') return undefined;
  try {
    return parseEpoch(epochText);
  } catch (cause) {
    throw new OptionError(
      'EPOCH_INVALID',
      `invalid source-date-epoch ${JSON.stringify(epochText)}: give whole seconds`,
      { key: 'source-date-epoch', cause },
    );
  }
}
