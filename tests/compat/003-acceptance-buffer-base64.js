console.log(Buffer.from('héllo').toString('base64'));
